/**
 * Jobs that the batch system ends under a running cluster (walltime,
 * cancelled outside JupyterLab, node failure): the shared watcher gives
 * their rows the final state and why, from the type's accounting hook or
 * "ENDED" untold, and the item a note of what dask-jobqueue does next; with
 * fake status commands. Also SLURM's words for its final states, and its
 * parsers of `squeue --states=all` and `sacct`.
 */

import { jest } from '@jest/globals';
import type { IJob } from '../../../protocol/index.js';
import type { IBatchJob } from '../../src/backends/jobqueue/types.js';
import { BatchJobWatcher, endedNote, type IEndedJob } from '../../src/backends/jobqueue/watch.js';
import { slurmEnd, slurmJobWatcher } from '../../src/backends/slurm/jobs.js';
import {
  parseEndedSacct,
  parseEndedSqueue,
  type IQueuedJob,
  type ISlurmCommands,
  type ISlurmEnd
} from '../../src/backends/slurm/queries.js';
import type { Registry } from '../../src/clusters/registry.js';
import { batchCluster, registryOf, stop, until } from './batch-type.js';

const RUNNING: IJob = { id: '27', state: 'RUNNING', node: 'node1', endsAt: '2026-12-02T13:00:00.000Z' };

/** A status command whose answer the test sets, counting its calls. */
class FakeQueue {
  jobs: IBatchJob[] = [{ id: '27', state: 'RUNNING', phase: 'running', node: 'node1' }];
  calls = 0;
  list = async (): Promise<IBatchJob[]> => {
    this.calls += 1;
    return this.jobs;
  };
}

/** A watcher of type `pbs` over `registry` that the test polls itself. */
function watcher(registry: Registry, queue: FakeQueue, endedOf?: (ids: string[]) => Promise<Map<string, IEndedJob>>) {
  return new BatchJobWatcher({
    type: 'pbs',
    registry,
    jobs: queue.list,
    cancel: async () => undefined,
    intervalMs: 60_000,
    ...(endedOf !== undefined ? { endedOf } : {})
  });
}

describe('a job that left the queue of a running cluster', () => {
  it('gets its final state and why from the accounting hook after two missed polls, and the item a note', async () => {
    const registry = registryOf(batchCluster('pbs', 'c1', [RUNNING], {}));
    const queue = new FakeQueue();
    const asked: string[][] = [];
    const watch = watcher(registry, queue, async ids => {
      asked.push(ids);
      return new Map([['27', { state: 'F', reason: 'walltime reached (Exit_status=-29)' }]]);
    });
    await watch.poll();
    queue.jobs = [];
    await watch.poll();
    expect(asked).toEqual([]);
    expect(registry.get('c1')!.model.jobs).toEqual([{ id: '27', state: 'RUNNING', node: 'node1' }]);
    await watch.poll();
    expect(asked).toEqual([['27']]);
    const { model } = registry.get('c1')!;
    expect(model.jobs).toEqual([{ id: '27', state: 'F', reason: 'walltime reached (Exit_status=-29)' }]);
    expect(model.jobsNote).toBe(
      'Job 27 ended: walltime reached (Exit_status=-29). dask-jobqueue does not replace it: scale the cluster (even to the same number of workers) to submit new jobs.'
    );
    await watch.poll();
    expect(asked).toHaveLength(1);
  });

  it('is ENDED, untold, without a hook, when the hook does not answer, or when it fails', async () => {
    const untold = { state: 'ENDED', reason: 'left the queue; the batch system does not say why' };
    const hooks = [
      undefined,
      async () => new Map<string, IEndedJob>(),
      async () => Promise.reject(new Error('sacct: error'))
    ];
    const logged = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    for (const hook of hooks) {
      const registry = registryOf(batchCluster('pbs', 'c1', [RUNNING], {}));
      const queue = new FakeQueue();
      queue.jobs = [];
      const watch = watcher(registry, queue, hook);
      await watch.poll();
      await watch.poll();
      expect(registry.get('c1')!.model.jobs).toEqual([{ id: '27', ...untold }]);
      expect(registry.get('c1')!.model.jobsNote).toMatch(
        /^Job 27 ended: left the queue; the batch system does not say why\. dask-jobqueue does not replace it/
      );
    }
    expect(logged).toHaveBeenCalledWith('pbs job accounting failed: Error: sacct: error');
    logged.mockRestore();
  });

  it('is ended as the status command lists it (LSF EXIT) when the type has no hook, and keeps its live row until then', async () => {
    const registry = registryOf(batchCluster('pbs', 'c1', [RUNNING], {}));
    const queue = new FakeQueue();
    const watch = watcher(registry, queue);
    await watch.poll();
    queue.jobs = [{ id: '27', state: 'EXIT', phase: 'ended' }];
    await watch.poll();
    expect(registry.get('c1')!.model.jobs).toEqual([{ id: '27', state: 'RUNNING', node: 'node1' }]);
    await watch.poll();
    await watch.poll();
    expect(registry.get('c1')!.model.jobs).toEqual([
      { id: '27', state: 'EXIT', reason: 'ended (EXIT); the batch system does not say why' }
    ]);
  });

  it('is not judged when the runner drops it after one miss (dask-jobqueue scaled down), nor while stopping', async () => {
    const registry = registryOf(
      batchCluster('pbs', 'c1', [RUNNING], {}),
      batchCluster('pbs', 'c2', [{ id: '28', state: 'RUNNING' }], {})
    );
    const queue = new FakeQueue();
    queue.jobs = [];
    const asked: string[][] = [];
    const watch = watcher(registry, queue, async ids => {
      asked.push(ids);
      return new Map();
    });
    await watch.poll();
    registry.update('c1', r => {
      r.model.jobs = [];
    });
    registry.update('c2', r => {
      r.model.state = 'stopping';
    });
    await watch.poll();
    await watch.poll();
    expect(asked).toEqual([]);
    expect(registry.get('c2')!.model.jobs).toEqual([{ id: '28', state: 'RUNNING' }]);
    expect(registry.get('c2')!.model.jobsNote).toBeUndefined();
  });

  it('groups the note by reason, says what adaptive scaling does, and is gone once the cluster ends', async () => {
    const jobs = ['1', '2', '3'].map(id => ({ id, state: 'RUNNING' }));
    const record = batchCluster('pbs', 'c1', jobs, {});
    record.model.scaling = { mode: 'adaptive', minimum: 1, maximum: 3 };
    const registry = registryOf(record);
    const queue = new FakeQueue();
    queue.jobs = [];
    const watch = watcher(
      registry,
      queue,
      async () =>
        new Map([
          ['1', { state: 'TIMEOUT', reason: 'walltime reached (TIMEOUT)' }],
          ['3', { state: 'TIMEOUT', reason: 'walltime reached (TIMEOUT)' }]
        ])
    );
    await watch.poll();
    await watch.poll();
    expect(registry.get('c1')!.model.jobsNote).toBe(
      'Jobs 1, 3 ended: walltime reached (TIMEOUT). Job 2 ended: left the queue; the batch system does not say why. ' +
        'Adaptive scaling submits replacement jobs when it next adapts.'
    );
    const stopWatching = watch.start();
    stop(registry, 'c1');
    await until(() => registry.get('c1')!.model.jobs.length === 0);
    expect(registry.get('c1')!.model.jobsNote).toBeUndefined();
    await stopWatching();
  });

  it("is not told twice after a restart: a row that already says its end keeps the previous companion's note", async () => {
    const end: IEndedJob = { state: 'TIMEOUT', reason: 'walltime reached (TIMEOUT)' };
    const told: IJob = { id: '27', ...end };
    const record = batchCluster('pbs', 'c1', [told], {});
    record.model.jobsNote = 'Job 27 ended: walltime reached (TIMEOUT).';
    const registry = registryOf(record);
    const queue = new FakeQueue();
    queue.jobs = [];
    const watch = watcher(registry, queue, async () => new Map([['27', end]]));
    await watch.poll();
    await watch.poll();
    expect(registry.get('c1')!.model.jobs).toEqual([told]);
    expect(registry.get('c1')!.model.jobsNote).toBe('Job 27 ended: walltime reached (TIMEOUT).');
  });

  it('names at most five jobs of a reason in the note', () => {
    const ids = ['1', '2', '3', '4', '5', '6', '7'];
    expect(endedNote(new Map([['node failed (NODE_FAIL)', ids]]), { mode: 'fixed', workers: 7 })).toBe(
      'Jobs 1, 2, 3, 4, 5 and 2 more ended: node failed (NODE_FAIL). dask-jobqueue does not replace them: ' +
        'scale the cluster (even to the same number of workers) to submit new jobs.'
    );
  });
});

describe("SLURM's job ends", () => {
  it('says each final state in words, with who cancelled and the exit code of a failure', () => {
    const cases: [ISlurmEnd, IEndedJob][] = [
      [
        { state: 'TIMEOUT', reason: 'TimeLimit' },
        { state: 'TIMEOUT', reason: 'walltime reached (TIMEOUT, TimeLimit)' }
      ],
      [
        { state: 'CANCELLED by 0', exitCode: '0:15' },
        { state: 'CANCELLED', reason: 'cancelled outside JupyterLab (CANCELLED by uid 0)' }
      ],
      [{ state: 'CANCELLED' }, { state: 'CANCELLED', reason: 'cancelled outside JupyterLab (CANCELLED)' }],
      [{ state: 'NODE_FAIL' }, { state: 'NODE_FAIL', reason: 'node failed (NODE_FAIL)' }],
      [
        { state: 'FAILED', reason: 'NonZeroExitCode', exitCode: '1:0' },
        { state: 'FAILED', reason: 'failed (FAILED, NonZeroExitCode, exit code 1:0)' }
      ],
      [
        { state: 'COMPLETED', exitCode: '0:0' },
        { state: 'COMPLETED', reason: 'its worker exited (COMPLETED)' }
      ],
      [{ state: 'REVOKED' }, { state: 'REVOKED', reason: 'ended (REVOKED)' }]
    ];
    for (const [end, row] of cases) {
      expect(slurmEnd(end)).toEqual(row);
    }
  });

  it('reads ended jobs of squeue --states=all (as slurm-wlm 22.05 prints them) and of sacct, not live ones', () => {
    const squeue = {
      jobs: [
        { job_id: 23, job_state: 'CANCELLED', state_reason: 'None', exit_code: 15 },
        { job_id: 24, job_state: 'TIMEOUT', state_reason: 'TimeLimit' },
        { job_id: 25, job_state: 'COMPLETING', state_reason: 'None' }
      ]
    };
    expect(parseEndedSqueue(squeue)).toEqual(
      new Map([
        ['23', { state: 'CANCELLED' }],
        ['24', { state: 'TIMEOUT', reason: 'TimeLimit' }]
      ])
    );
    const sacct = '23|CANCELLED by 0|None|0:15\n24|TIMEOUT|TimeLimit|0:0\n25|RUNNING|None|0:0\n';
    expect(parseEndedSacct(sacct)).toEqual(
      new Map([
        ['23', { state: 'CANCELLED by 0', exitCode: '0:15' }],
        ['24', { state: 'TIMEOUT', reason: 'TimeLimit', exitCode: '0:0' }]
      ])
    );
  });

  it('fills the row of a SLURM job cancelled outside JupyterLab through the SLURM watcher', async () => {
    const registry = registryOf(batchCluster('slurm', 'c1', [RUNNING], {}));
    let queue: IQueuedJob[] = [{ id: '27', name: 'dask-worker-c1', state: 'RUNNING', node: 'node1' }];
    const commands: ISlurmCommands = {
      available: () => true,
      partitions: async () => [],
      queue: async () => queue,
      cancel: async () => undefined,
      testScript: async () => undefined,
      ended: async ids => new Map(ids.map(id => [id, { state: 'CANCELLED by 0', exitCode: '0:15' }]))
    };
    const watch = slurmJobWatcher({ registry, commands, intervalMs: 10 });
    const stopWatching = watch.start();
    await until(() => registry.get('c1')!.model.jobs[0].endsAt === undefined);
    // squeue --json of slurm-wlm 22.05 keeps listing ended jobs (MinJobAge), without a reason.
    queue = [{ id: '27', name: 'dask-worker-c1', state: 'CANCELLED', node: 'node1' }];
    await until(() => registry.get('c1')!.model.jobs[0].state === 'CANCELLED');
    expect(registry.get('c1')!.model.jobs).toEqual([
      { id: '27', state: 'CANCELLED', reason: 'cancelled outside JupyterLab (CANCELLED by uid 0)' }
    ]);
    expect(registry.get('c1')!.model.jobsNote).toMatch(
      /^Job 27 ended: cancelled outside JupyterLab \(CANCELLED by uid 0\)\. dask-jobqueue does not replace it/
    );
    await stopWatching();
  });
});
