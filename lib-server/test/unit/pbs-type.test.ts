/**
 * The `pbs` type, a definition with hooks run by the generic engine: its
 * form from the queues (fixture `qstat -Q -f -F json`) and jobqueue.pbs, the
 * start command it renders, what it refuses before submitting, its preview
 * through runner.py job-script, and its job rows and log files from `qstat
 * -f -F json` through the shared watcher, which qdels a stopped cluster's jobs.
 */

import { jest } from '@jest/globals';
import { parsePbsJobs, parsePbsQueues } from '../../src/backends/jobqueue/pbs.js';
import type { IPbsCommands } from '../../src/backends/pbs/commands.js';
import { pbsDefinition } from '../../src/backends/pbs/definition.js';
import {
  batchCluster,
  registryOf,
  sample,
  startOf,
  stop,
  batchTypeBackend,
  expectRefused,
  previewInput,
  until,
  type FakeRunner
} from './batch-type.js';

/** batch: 48:00:00, 128 cores, 256gb, enabled; debug: 00:30:00, 8 cores, disabled. */
const QUEUES = parsePbsQueues(sample('pbs', 'qstat-Q-f-F-json.txt'));

function fakeCommands(overrides: Partial<IPbsCommands> = {}): IPbsCommands {
  return {
    missing: () => undefined,
    foreign: () => undefined,
    queues: async () => QUEUES,
    jobs: async () => [],
    named: async () => [],
    cancel: async () => undefined,
    ...overrides
  };
}

function backend(commands = fakeCommands(), runner?: FakeRunner) {
  return batchTypeBackend(pbsDefinition, 'pbs', commands, runner);
}

const BASE = { queue: 'batch', walltime: '01:00:00', cores: 4, memory: '8 GiB' };

describe('the pbs form', () => {
  it('lists the queues with their resources_max, and takes defaults from jobqueue.pbs (either spelling)', async () => {
    const { backend: pbs, calls } = backend(fakeCommands(), () => ({
      config: {
        queue: 'batch',
        walltime: '02:00:00',
        account: 'geo42',
        resource_spec: 'select=1:ncpus=4:mem=8gb',
        'job-extra-directives': ['-l place=scatter', '-m n'],
        memory: '8GiB'
      }
    }));
    const type = await pbs.describe({});
    expect(calls[0].args).toEqual(['config', 'jobqueue.pbs']);
    expect(type).toMatchObject({ id: 'pbs', available: true, preview: true });
    expect(type.schema.properties).toHaveProperty('queue.enum', ['batch', 'debug']);
    expect(type.uiSchema.queue).toEqual({
      'ui:enumNames': [
        'batch — at most 48:00:00, 128 cores, 256 GiB per job',
        'debug — at most 00:30:00, 8 cores per job (disabled)'
      ]
    });
    expect(type.defaults).toMatchObject({
      queue: 'batch',
      walltime: '02:00:00',
      account: 'geo42',
      resource_spec: 'select=1:ncpus=4:mem=8gb',
      job_extra_directives: '-l place=scatter\n-m n',
      memory: '8GiB',
      cores: 1,
      log_directory: '/shared/pbs/logs',
      workers: 2
    });
    expect(type.sources).toContainEqual({
      field: 'resource_spec',
      value: 'select=1:ncpus=4:mem=8gb',
      source: 'your dask config (jobqueue.pbs)'
    });
    expect(type.sources).toContainEqual({ field: 'cores', value: 1, source: 'one core per job' });
    expect(type.uiSchema['ui:groups']).toContainEqual({ title: 'How long', fields: ['walltime'] });
  });

  it("defaults to dask-jobqueue's 30 minutes without a config", async () => {
    const type = await backend().backend.describe({});
    expect(type.defaults).toMatchObject({ queue: 'batch', walltime: '00:30:00', account: '', resource_spec: '' });
  });

  it('is unavailable naming the command it looked for, saying what to do, and refuses to plan', async () => {
    const { backend: pbs } = backend(fakeCommands({ missing: () => 'qstat' }));
    const type = await pbs.describe({});
    expect(type.available).toBe(false);
    expect(type.reason).toMatch(
      /^qstat is not on PATH: start JupyterLab on a PBS login node, with the PBS commands on PATH/
    );
    expect(await pbs.plan({ type: 'pbs', options: BASE }, 'c1')).toEqual({
      fields: [{ path: '', message: type.reason }]
    });
  });
});

describe("the pbs type on a host whose qsub is Grid Engine's", () => {
  it('is unavailable, saying so, and asks nothing of qstat', async () => {
    const asked: string[] = [];
    const type = await backend(
      fakeCommands({
        foreign: () => "The qsub and qstat on PATH are Grid Engine's (qconf is there too)",
        queues: async () => {
          asked.push('queues');
          return QUEUES;
        }
      })
    ).backend.describe({});
    expect(type).toMatchObject({
      available: false,
      reason: "The qsub and qstat on PATH are Grid Engine's (qconf is there too)"
    });
    expect(asked).toEqual([]);
  });
});

describe('the pbs start command', () => {
  it('renders PBSCluster with TLS, the walltime, the lifetime before it, the job name and the worker variables', async () => {
    const start = await startOf(backend().backend, {
      ...BASE,
      account: 'geo42',
      worker_env: 'A=1 2\nOMP_NUM_THREADS=1',
      workers: 3
    });
    expect(start).toMatchObject({ cluster_class: 'dask_jobqueue.PBSCluster', scaling: { mode: 'fixed', workers: 3 } });
    expect(start.kwargs).toEqual({
      n_workers: 3,
      queue: 'batch',
      account: 'geo42',
      walltime: '01:00:00',
      cores: 4,
      memory: '8 GiB',
      processes: 1,
      job_name: 'dask-worker-c0ffee12',
      job_extra_directives: [],
      log_directory: '/shared/pbs/logs',
      job_script_prologue: ["export A='1 2'", "export OMP_NUM_THREADS='1'"],
      worker_extra_args: [
        '--no-dashboard',
        '--dashboard-address',
        '127.0.0.1:0',
        '--lifetime',
        '3240s',
        '--lifetime-stagger',
        '180s'
      ],
      shared_temp_directory: '/shared/pbs/c0ffee12',
      security_directory: '/shared/pbs/c0ffee12',
      silence_logs: false,
      scheduler_options: { dashboard_address: '127.0.0.1:0' }
    });
  });

  it("passes a resource request and extra directives, and leaves out an empty account (PBS_ACCOUNT's then)", async () => {
    const start = await startOf(backend().backend, {
      ...BASE,
      resource_spec: 'select=1:ncpus=4:ngpus=1',
      job_extra_directives: '-l place=scatter\n\n-m n'
    });
    expect(start.kwargs).toMatchObject({
      resource_spec: 'select=1:ncpus=4:ngpus=1',
      job_extra_directives: ['-l place=scatter', '-m n']
    });
    expect(start.kwargs).not.toHaveProperty('account');
  });
});

describe('what the pbs type refuses before submitting', () => {
  it.each([
    [
      "a walltime above the queue's resources_max.walltime, on the walltime field",
      { walltime: '49:00:00' },
      '/walltime',
      'Queue batch allows at most 48:00:00 (resources_max.walltime); PBS would not run a job of 49:00:00. Choose at most 48:00:00.'
    ],
    [
      'a disabled queue',
      { queue: 'debug', walltime: '00:10:00' },
      '/queue',
      /^Queue debug is disabled \(enabled = False\): qsub would refuse the jobs; choose another queue \(batch\)\.$/
    ],
    [
      'more cores than resources_max.ncpus',
      { cores: 129 },
      '/cores',
      'Queue batch allows at most 128 cores per job; use at most 128.'
    ],
    [
      'more memory than resources_max.mem',
      { memory: '300 GiB' },
      '/memory',
      /^Queue batch allows at most 256 GiB per job/
    ],
    ['more worker processes than cores', { processes: 5 }, '/processes', /at least as many cores \(4\)/],
    [
      'a walltime that is not HH:MM:SS',
      { walltime: '90' },
      '/walltime',
      /^Walltime is not written in a form it accepts/
    ]
  ])('%s', async (_what, options, field, message) => {
    await expectRefused(backend(), { ...BASE, ...options }, field, message);
  });
});

describe('the pbs preview', () => {
  it("asks runner.py job-script for the plan's class and arguments", async () => {
    expect(await previewInput(backend(), BASE)).toMatchObject({
      cluster_class: 'dask_jobqueue.PBSCluster',
      kwargs: {
        job_name: 'dask-worker-<cluster-id>',
        walltime: '01:00:00',
        security_directory: '/shared/pbs/<cluster-id>'
      }
    });
  });
});

describe('pbs job rows and cleanup', () => {
  it('asks qstat for each known job, shows its state letter, the comment a job waits for, its host, end and log files; qdels on stop', async () => {
    const asked: string[][] = [];
    const cancelled: string[][] = [];
    const jobs = parsePbsJobs(sample('pbs', 'qstat-f-F-json.txt'));
    const commands = fakeCommands({
      jobs: async ids => {
        asked.push(ids);
        return jobs.filter(job => ids.includes(job.id));
      },
      named: async name => (name === 'dask-worker-c0ffee12' ? ['5199'] : []),
      cancel: async ids => void cancelled.push(ids)
    });
    const submitted = ['5120', '5121', '5122'].map(id => ({ id, state: 'submitted' }));
    const registry = registryOf(batchCluster('pbs', 'c0ffee12', submitted, { ...BASE, job_name: 'dask-worker' }));
    const detach = backend(commands).backend.attach!(registry);
    await until(() => registry.get('c0ffee12')!.model.jobs[0].state !== 'submitted');
    expect(asked[0]).toEqual(['5120', '5121', '5122']);
    expect(registry.get('c0ffee12')!.model.jobs).toEqual([
      { id: '5120', state: 'R', node: 'cn017', endsAt: '2024-12-02T12:50:00.000Z' },
      { id: '5121', state: 'Q', reason: 'Not Running: Insufficient amount of resource: ncpus (R: 4 A: 2 T: 128)' },
      { id: '5122', state: 'H', reason: 'job held, too many failed attempts to run' }
    ]);
    // Output_Path / Error_Path of qstat: a directory's file is <job ID>.OU / .ER; Join_Path oe / eo merge them.
    expect(registry.get('c0ffee12')!.jobLogs).toEqual({
      '5120': { stdout: '/scratch/bob/dask-logs/5120.head01.OU', stderr: '/scratch/bob/dask-logs/5120.head01.ER' },
      '5121': { stdout: '/scratch/bob/dask-logs/5121.head01.OU', stderr: '/scratch/bob/dask-logs/5121.head01.OU' },
      '5122': { stdout: '/scratch/bob/worker.err', stderr: '/scratch/bob/worker.err' }
    });
    stop(registry, 'c0ffee12');
    await detach();
    expect(cancelled).toEqual([['5120', '5121', '5122', '5199']]);
    expect(registry.get('c0ffee12')!.model.jobs).toEqual([]);
  });

  it('says on a failed item that its jobs were cancelled, or that cancelling failed and what to do', async () => {
    const submitted = [{ id: '5120', state: 'R' }];
    const failing = (cancel: (ids: string[]) => Promise<void>) => {
      const registry = registryOf(batchCluster('pbs', 'c0ffee12', submitted, { ...BASE, job_name: 'dask-worker' }));
      const commands = fakeCommands({ jobs: async () => [], named: async () => [], cancel });
      const detach = backend(commands).backend.attach!(registry);
      registry.update('c0ffee12', record => {
        record.model.state = 'failed';
        record.model.endReason = 'The runner exited unexpectedly (exit code 1).';
      });
      return { registry, detach };
    };
    const cancelled = failing(async () => undefined);
    await cancelled.detach();
    expect(cancelled.registry.get('c0ffee12')!.model.endReason).toBe(
      'The runner exited unexpectedly (exit code 1). Its batch jobs (5120) were cancelled.'
    );
    let attempts = 0;
    const spy = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const refused = failing(async () => {
      attempts += 1;
      throw new Error('qdel: Unauthorized Request');
    });
    await refused.detach();
    // Its own note is a registry change too: it must not try again, and again.
    await new Promise(resolve => setTimeout(resolve, 50));
    spy.mockRestore();
    expect(attempts).toBe(1);
    expect(refused.registry.get('c0ffee12')!.model.endReason).toBe(
      'The runner exited unexpectedly (exit code 1). Cancelling its batch jobs failed (Error: qdel: Unauthorized Request); check the queue and cancel them yourself.'
    );
  });
});
