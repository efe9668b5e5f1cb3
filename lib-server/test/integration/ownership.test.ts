/**
 * Two companions of one user on one state directory (two JupyterLab servers,
 * or two login nodes sharing $HOME), with a real SLURM: the second one's start
 * neither stops nor cancels the first one's cluster; it shows it as running
 * elsewhere and stops it only when asked, through its owner. An entry that
 * looks as if another host wrote it is never touched, whatever its pids are here.
 */

import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { IApiError, IClusterModel } from '../../../protocol/index.js';
import { Companion, isRunning, makeTestDirs, removeTestDirs, serviceEnv, waitFor, type ITestDirs } from './harness.js';

const saved = { ...process.env };
let dirs: ITestDirs;
const started: Companion[] = [];

/** The SLURM state (%T) of job `id`, or '' once it has left the queue. */
function jobState(id: string): string {
  try {
    return execFileSync('squeue', ['--noheader', '--jobs', id, '--format', '%T'], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

async function start(): Promise<Companion> {
  const companion = await Companion.start(dirs);
  started.push(companion);
  return companion;
}

async function clusters(companion: Companion): Promise<IClusterModel[]> {
  return (await companion.request('GET', '/api/clusters')).json as IClusterModel[];
}

/** Long enough for several rounds of the second companion's squeue watcher and file checks. */
const SETTLE_MS = 8_000;

beforeAll(() => {
  Object.assign(process.env, serviceEnv('/tmp/jdc-slurm/env', 'start SLURM first (make slurm-up)'), {
    JUPYTERLAB_DASK_CLUSTERS_SQUEUE_INTERVAL_MS: '1000'
  });
  dirs = makeTestDirs('ownership');
  process.env.JUPYTERLAB_DASK_CLUSTERS_SLURM_DIR = path.join(dirs.root, 'shared');
});

afterAll(async () => {
  for (const companion of started) {
    await companion.stop();
  }
  process.env = saved;
  removeTestDirs(dirs);
}, 90_000);

describe('two companions on one state directory', () => {
  it("leaves the first one's SLURM cluster running, shows it, and stops it only through its owner", async () => {
    const first = await start();
    const answer = await first.request('POST', '/api/clusters', {
      type: 'slurm',
      name: 'first server',
      options: { partition: 'debug', walltime: '00:10:00', cores: 1, memory: '1 GiB', processes: 1, workers: 1 }
    });
    expect(answer.status).toBe(201);
    const id = (answer.json as IClusterModel).id;
    const job = await waitFor(
      'the cluster to run with its job',
      async () => {
        const model = (await clusters(first)).find(c => c.id === id);
        return model?.state === 'running' && model.jobs[0]?.state === 'RUNNING' ? model.jobs[0].id : undefined;
      },
      120_000
    );

    const second = await start();
    await new Promise(resolve => setTimeout(resolve, SETTLE_MS));
    expect(jobState(job)).toBe('RUNNING');
    expect((await clusters(first)).find(c => c.id === id)).toMatchObject({ state: 'running', workers: 1 });
    const shown = (await clusters(second)).find(c => c.id === id);
    expect(shown).toMatchObject({ name: 'first server', state: 'running', elsewhere: { pid: first.child.pid } });
    const scaled = await second.request('POST', `/api/clusters/${id}/scale`, { mode: 'fixed', workers: 2 });
    expect(scaled.status).toBe(409);
    expect((scaled.json as IApiError).message).toMatch(
      /^Cluster "first server" runs in the JupyterLab on .+; stop or change it there\.$/
    );

    // Stop, on the user's explicit choice, from the second server: its owner stops it.
    expect((await second.request('DELETE', `/api/clusters/${id}`)).status).toBe(202);
    await waitFor(
      'the first companion to stop it',
      async () => (await clusters(first)).find(c => c.id === id)?.state === 'stopped' || undefined,
      60_000
    );
    await waitFor('its job to leave the queue', () => jobState(job) === '' || undefined, 60_000);
    expect((await clusters(first)).find(c => c.id === id)?.endReason).toBe('Stopped by you.');
    await waitFor(
      'the second companion to show it stopped',
      async () => (await clusters(second)).find(c => c.id === id)?.state === 'stopped' || undefined,
      10_000
    );
  }, 240_000);
});

describe('an entry another host wrote', () => {
  it('is neither marked lost nor cancelled, even where its pids are alive here, and cannot be stopped from here', async () => {
    // A live job of "that host's" cluster, and an entry for it whose runner pid (1) runs here.
    const job = execFileSync(
      'sbatch',
      ['--parsable', '--time=5', '--job-name=dask-worker-far01', '--output=/dev/null', '--wrap', 'sleep 300'],
      { encoding: 'utf8' }
    ).trim();
    try {
      const entry = {
        model: {
          id: 'far01',
          name: 'on login99',
          type: 'slurm',
          state: 'running',
          createdAt: new Date().toISOString(),
          spec: { type: 'slurm', options: {} },
          scaling: { mode: 'fixed', workers: 1 },
          workers: 1,
          cores: 1,
          memory: 2 ** 30,
          environment: { python: '/usr/bin/python3', label: 'python3' },
          hasDashboard: false,
          jobs: [{ id: job, state: 'RUNNING' }]
        },
        owner: { host: 'login99.example.org', pid: 1, start: '1', since: '2026-12-01T08:00:00.000Z' },
        runnerPid: 1,
        jobIds: [job],
        workDirs: [],
        logFile: path.join(dirs.root, 'far01.log')
      };
      const otherDirs = makeTestDirs('ownership-far');
      mkdirSync(otherDirs.state, { mode: 0o700 });
      writeFileSync(path.join(otherDirs.state, 'clusters.json'), JSON.stringify({ version: 1, clusters: [entry] }), {
        mode: 0o600
      });
      const companion = await Companion.start(otherDirs);
      started.push(companion);
      await waitFor('the job to run', () => jobState(job) === 'RUNNING' || undefined, 30_000);
      await new Promise(resolve => setTimeout(resolve, SETTLE_MS));
      expect(jobState(job)).toBe('RUNNING');
      expect(await clusters(companion)).toEqual([
        expect.objectContaining({
          id: 'far01',
          state: 'running',
          elsewhere: expect.objectContaining({ host: 'login99.example.org' })
        })
      ]);
      const refused = await companion.request('DELETE', '/api/clusters/far01');
      expect(refused.status).toBe(409);
      expect((refused.json as IApiError).message).toBe(
        'Cluster "on login99" runs in the JupyterLab on login99.example.org (companion pid 1); stop or change it there.'
      );
      expect(jobState(job)).toBe('RUNNING');
      await companion.stop();
      expect(jobState(job)).toBe('RUNNING');

      // On the user's explicit choice, stopped from here: taken over as lost, its job cancelled.
      const again = await Companion.start(otherDirs);
      started.push(again);
      const forced = await again.request('DELETE', '/api/clusters/far01?force=true');
      expect(forced.status).toBe(202);
      expect(forced.json).toMatchObject({ state: 'lost' });
      expect((forced.json as IClusterModel).error).toMatch(
        /^Stopped from .+: the JupyterLab on login99\.example\.org \(companion pid 1\) that ran it cannot be reached from here\./
      );
      await waitFor('its job to be cancelled', () => jobState(job) === '' || undefined, 30_000);
      expect((await clusters(again))[0]).not.toHaveProperty('elsewhere');
      await again.stop();
      removeTestDirs(otherDirs);
    } finally {
      execFileSync('scancel', [job]);
    }
  }, 120_000);
});

describe('adopting a cluster of another JupyterLab of this host', () => {
  it('moves one that keeps running, with its scheduler, and refuses one that stops with its JupyterLab', async () => {
    const own = makeTestDirs('ownership-adopt');
    try {
      const first = await Companion.start(own);
      started.push(first);
      const local = { workers: 1, threads_per_worker: 1, memory_per_worker: '512 MiB' };
      const kept = (
        await first.request('POST', '/api/clusters', {
          type: 'local',
          name: 'kept',
          options: { ...local, keep_running: true }
        })
      ).json as IClusterModel;
      const plain = (await first.request('POST', '/api/clusters', { type: 'local', name: 'plain', options: local }))
        .json as IClusterModel;
      const running = async (companion: Companion, id: string) =>
        (await clusters(companion)).find(c => c.id === id && c.state === 'running' && c.workers === 1);
      const before = await waitFor('the first to run', () => running(first, kept.id), 60_000);
      await waitFor('the second to run', () => running(first, plain.id), 60_000);
      const runnerPid = first.runnerPid(kept.id);

      const second = await Companion.start(own);
      started.push(second);
      const refused = await second.request('POST', `/api/clusters/${plain.id}/adopt`);
      expect(refused.status).toBe(409);
      expect((refused.json as IApiError).message).toBe(
        'Cluster "plain" stops with its JupyterLab, so it cannot move to another one; stop it there and start a new one, or make it with Keep running.'
      );

      const adopted = await second.request('POST', `/api/clusters/${kept.id}/adopt`);
      expect(adopted.status).toBe(200);
      const after = await waitFor(
        'the second to have it running',
        async () => {
          const model = await running(second, kept.id);
          return model?.schedulerAddress === before.schedulerAddress && model?.elsewhere === undefined
            ? model
            : undefined;
        },
        30_000
      );
      expect(after).toMatchObject({ name: 'kept', hasDashboard: true });
      await waitFor(
        'the first to show it as the second one’s',
        async () =>
          (await clusters(first)).find(c => c.id === kept.id)?.elsewhere?.pid === second.child.pid || undefined,
        10_000
      );
      expect(second.runnerPid(kept.id)).toBe(runnerPid);
      // The new owner scales and stops it.
      expect(
        (await second.request('POST', `/api/clusters/${kept.id}/scale`, { mode: 'fixed', workers: 2 })).status
      ).toBe(200);
      await waitFor(
        '2 workers',
        async () => (await clusters(second)).find(c => c.id === kept.id && c.workers === 2),
        60_000
      );
      expect((await second.request('DELETE', `/api/clusters/${kept.id}`)).status).toBe(202);
      await waitFor(
        'it to stop',
        async () => (await clusters(second)).find(c => c.id === kept.id && c.state === 'stopped'),
        60_000
      );
      expect(runnerPid !== undefined && isRunning(runnerPid)).toBe(false);
      await second.stop();
      await first.stop();
    } finally {
      removeTestDirs(own);
    }
  }, 240_000);
});
