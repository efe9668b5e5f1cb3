/**
 * A job of a running SLURM cluster cancelled outside JupyterLab, on the real
 * single-node SLURM of scripts/slurm/slurm.sh (`make slurm-up`): its row
 * says how it ended and why, the item what dask-jobqueue does next (it does
 * not replace the job of a fixed-size cluster until it is scaled again),
 * and a stop leaves no job in the queue.
 */

import { execFileSync } from 'node:child_process';
import type { IClusterModel } from '../../../protocol/index.js';
import * as harness from './harness.js';
import type { EventLog } from './harness.js';

/** Ids of the jobs in the queue (not ended) whose name ends with cluster `id`. */
function queuedJobs(id: string): string[] {
  const out = execFileSync('squeue', ['--noheader', '--format=%i %j'], { encoding: 'utf8' });
  return out
    .split('\n')
    .map(line => line.trim().split(/\s+/))
    .filter(([, name]) => name !== undefined && name.endsWith(`-${id}`))
    .map(([job]) => job);
}

/** The first model of cluster `id` in `events` from now on that passes `test` (waits for it). */
function later(events: EventLog, id: string, what: string, test: (model: IClusterModel) => boolean, timeoutMs: number) {
  const seen = events.models(id).length;
  return harness.waitFor(what, () => events.models(id).slice(seen).find(test), timeoutMs);
}

describe('a SLURM job cancelled outside JupyterLab', () => {
  it('says so on its row and on the item, is not replaced until the cluster is scaled, and a stop leaves no job', async () => {
    const saved = { ...process.env };
    const dirs = harness.makeTestDirs('jobs-ended');
    Object.assign(
      process.env,
      harness.serviceEnv(
        '/tmp/jdc-slurm/env',
        'start SLURM first (make slurm-up, or scripts/slurm/slurm.sh up as root)'
      ),
      { JUPYTERLAB_DASK_CLUSTERS_SLURM_DIR: dirs.root, JUPYTERLAB_DASK_CLUSTERS_SQUEUE_INTERVAL_MS: '1000' }
    );
    const companion = await harness.Companion.start(dirs);
    const events = await companion.events();
    try {
      const answer = await companion.request('POST', '/api/clusters', {
        type: 'slurm',
        options: { partition: 'debug', walltime: '00:10:00', cores: 1, memory: '1 GiB', processes: 1, workers: 1 }
      });
      expect(answer.status).toBe(201);
      const { id } = answer.json as IClusterModel;
      const running = await events.waitForCluster(
        id,
        'its job running',
        m => m.state === 'running' && m.workers === 1 && m.jobs[0]?.state === 'RUNNING',
        90_000
      );
      const job = running.jobs[0].id;
      expect(queuedJobs(id)).toEqual([job]);

      execFileSync('scancel', [job]);
      // squeue itself lists it CANCELLED while it completes; the reason comes once it has left the queue.
      const ended = await events.waitForCluster(
        id,
        'the job ended, with why',
        m => m.jobs[0]?.reason !== undefined,
        20_000
      );
      // No accounting database here (accounting_storage/none), so slurmctld's word: no uid.
      expect(ended.jobs).toEqual([{ id: job, state: 'CANCELLED', reason: 'cancelled outside JupyterLab (CANCELLED)' }]);
      expect(ended.state).toBe('running');
      expect(ended.jobsNote).toBe(
        `Job ${job} ended: cancelled outside JupyterLab (CANCELLED). dask-jobqueue does not replace it: ` +
          'scale the cluster (even to the same number of workers) to submit new jobs.'
      );

      // dask-jobqueue forgets the job once distributed's lost-worker-timeout (15 s) passed; the note stays.
      const forgotten = await later(events, id, 'the job forgotten', m => m.jobs.length === 0, 40_000);
      expect(forgotten.jobsNote).toBe(ended.jobsNote);
      expect(forgotten.workers).toBe(0);
      await new Promise(resolve => setTimeout(resolve, 3_000));
      expect(queuedJobs(id)).toEqual([]);

      // Scaling to the same size submits a new job, as the note says.
      expect((await companion.request('POST', `/api/clusters/${id}/scale`, { mode: 'fixed', workers: 1 })).status).toBe(
        200
      );
      const again = await later(events, id, 'a new job', m => m.jobs.some(row => row.id !== job), 30_000);
      expect(again.jobs.map(row => row.id)).not.toContain(job);
      await harness.waitFor('the new job queued', () => queuedJobs(id).length === 1, 20_000);

      expect((await companion.request('DELETE', `/api/clusters/${id}`)).status).toBe(202);
      const stopped = await later(
        events,
        id,
        'stopped without jobs',
        m => m.state === 'stopped' && m.jobs.length === 0,
        60_000
      );
      expect(stopped.jobsNote).toBeUndefined();
      await harness.waitFor('an empty queue', () => queuedJobs(id).length === 0, 20_000);
    } finally {
      events.close();
      await companion.stop();
      process.env = saved;
      harness.removeTestDirs(dirs);
    }
  }, 240_000);
});
