/**
 * The `lsf` type, a definition with hooks run by the generic engine: its
 * form from the queues (fixture `bqueues -l`) and jobqueue.lsf, the start
 * command it renders (walltime as bsub -W's HH:MM), what it refuses before
 * submitting, its preview through runner.py job-script, and its job rows
 * from `bjobs -json` followed by the shared watcher, which bkills a stopped
 * cluster's jobs.
 */

import { parseBjobs, parseBqueuesLong } from '../../src/backends/jobqueue/lsf.js';
import type { ILsfCommands } from '../../src/backends/lsf/commands.js';
import { lsfDefinition } from '../../src/backends/lsf/definition.js';
import {
  batchCluster,
  refusals,
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

/** short: RUNLIMIT 120 min (default 30), Open:Active; night: 1440 min, Open:Inact. */
const QUEUES = parseBqueuesLong(sample('lsf', 'bqueues-l.txt'));

function fakeCommands(overrides: Partial<ILsfCommands> = {}): ILsfCommands {
  return {
    missing: () => undefined,
    queues: async () => QUEUES,
    jobs: async () => [],
    cancel: async () => undefined,
    ...overrides
  };
}

function backend(commands = fakeCommands(), runner?: FakeRunner) {
  return batchTypeBackend(lsfDefinition, 'lsf', commands, runner);
}

const BASE = { queue: 'short', walltime: '01:00', cores: 4, memory: '8 GiB' };

describe('the lsf form', () => {
  it('lists the queues with their RUNLIMIT and state, and takes defaults from jobqueue.lsf (either spelling)', async () => {
    const { backend: lsf, calls } = backend(fakeCommands(), () => ({
      config: {
        queue: 'night',
        walltime: '02:00',
        project: 'geo42',
        ncpus: 8,
        mem: 16e9,
        job_extra_directives: ['-R "select[mem>4000]"']
      }
    }));
    const type = await lsf.describe({});
    expect(calls[0].args).toEqual(['config', 'jobqueue.lsf']);
    expect(type).toMatchObject({ id: 'lsf', available: true, preview: true });
    expect(type.schema.properties).toHaveProperty('queue.enum', ['short', 'night']);
    expect(type.uiSchema.queue).toEqual({
      'ui:enumNames': ['short — at most 02:00', 'night — at most 24:00 (Open:Inact)']
    });
    expect(type.defaults).toMatchObject({
      queue: 'night',
      walltime: '02:00',
      project: 'geo42',
      ncpus: 8,
      mem: '14.9 GiB',
      job_extra_directives: '-R "select[mem>4000]"',
      log_directory: '/shared/lsf/logs'
    });
    expect(type.sources).toContainEqual({ field: 'ncpus', value: 8, source: 'your dask config (jobqueue.lsf)' });
  });

  it("defaults to dask-jobqueue's 30 minutes within the first queue's RUNLIMIT without a config", async () => {
    const type = await backend().backend.describe({});
    expect(type.defaults).toMatchObject({ queue: 'short', walltime: '00:30', project: '', ncpus: 0, mem: '' });
  });

  it('is unavailable naming the command it looked for, saying what to do', async () => {
    const type = await backend(fakeCommands({ missing: () => 'bsub' })).backend.describe({});
    expect(type.available).toBe(false);
    expect(type.reason).toMatch(
      /^bsub is not on PATH: start JupyterLab on an LSF login node, with the LSF commands on PATH/
    );
  });
});

describe('the lsf start command', () => {
  it('renders LSFCluster with TLS, the walltime as HH:MM, the lifetime before it and the worker variables', async () => {
    const start = await startOf(backend().backend, { ...BASE, worker_env: 'A=1' });
    expect(start).toMatchObject({ cluster_class: 'dask_jobqueue.LSFCluster', scaling: { mode: 'fixed', workers: 2 } });
    expect(start.kwargs).toEqual({
      n_workers: 2,
      queue: 'short',
      walltime: '01:00',
      cores: 4,
      memory: '8 GiB',
      processes: 1,
      job_name: 'dask-worker-c0ffee12',
      job_extra_directives: [],
      log_directory: '/shared/lsf/logs',
      job_script_prologue: ["export A='1'"],
      worker_extra_args: [
        '--no-dashboard',
        '--dashboard-address',
        '127.0.0.1:0',
        '--lifetime',
        '3240s',
        '--lifetime-stagger',
        '180s'
      ],
      shared_temp_directory: '/shared/lsf/c0ffee12',
      security_directory: '/shared/lsf/c0ffee12',
      silence_logs: false,
      scheduler_options: { dashboard_address: '127.0.0.1:0' }
    });
  });

  it('passes the project, the slots (ncpus) and the memory limit (mem, in bytes) when given', async () => {
    const start = await startOf(backend().backend, { ...BASE, project: 'geo42', ncpus: 8, mem: '16 GiB' });
    expect(start.kwargs).toMatchObject({ project: 'geo42', ncpus: 8, mem: 16 * 2 ** 30 });
  });
});

describe('what the lsf type refuses before submitting', () => {
  it.each([
    [
      "a walltime above the queue's RUNLIMIT, on the walltime field, naming a queue that allows it",
      { walltime: '03:00' },
      '/walltime',
      'Queue short allows at most 02:00 (RUNLIMIT); LSF would not run a job of 03:00. Choose at most 02:00, or queue night (at most 24:00).'
    ],
    ['a queue that does not exist', { queue: 'gpu' }, '/queue', /^Queue must be one of "short", "night"/],
    ['more worker processes than cores', { processes: 5 }, '/processes', /at least as many cores \(4\)/],
    [
      'a walltime that is not HH:MM',
      { walltime: '01:00:00' },
      '/walltime',
      /^Walltime is not written in a form it accepts/
    ]
  ])('%s', async (_what, options, field, message) => {
    await expectRefused(backend(), { ...BASE, ...options }, field, message);
  });

  it('refuses a closed queue', async () => {
    const closed = QUEUES.map(q => (q.name === 'night' ? { ...q, state: 'Closed:Inact' } : q));
    const [fields] = await refusals(backend(fakeCommands({ queues: async () => closed })).backend, {
      ...BASE,
      queue: 'night'
    });
    expect(fields).toEqual([
      {
        path: '/queue',
        message: 'Queue night is Closed:Inact: bsub would refuse the jobs; choose another queue (short).'
      }
    ]);
  });
});

describe('the lsf preview', () => {
  it("asks runner.py job-script for the plan's class and arguments", async () => {
    expect(await previewInput(backend(), BASE)).toMatchObject({
      cluster_class: 'dask_jobqueue.LSFCluster',
      kwargs: { job_name: 'dask-worker-<cluster-id>', walltime: '01:00' }
    });
  });
});

describe('lsf job rows and cleanup', () => {
  it("shows STAT, the pending reason, the host and the run limit's end; bkills a stopped cluster's jobs and those named after it", async () => {
    const cancelled: string[][] = [];
    const jobs = [
      ...parseBjobs(sample('lsf', 'bjobs-json-noise.txt')),
      { id: '88350', state: 'PEND', phase: 'pending' as const, name: 'dask-worker-c0ffee12' }
    ];
    const commands = fakeCommands({ jobs: async () => jobs, cancel: async ids => void cancelled.push(ids) });
    const submitted = ['88301', '88302', '88303'].map(id => ({ id, state: 'submitted' }));
    const registry = registryOf(batchCluster('lsf', 'c0ffee12', submitted, BASE));
    const detach = backend(commands).backend.attach!(registry);
    await until(() => registry.get('c0ffee12')!.model.jobs[0].state !== 'submitted');
    const [running, pending, held] = registry.get('c0ffee12')!.model.jobs;
    expect(running).toMatchObject({ id: '88301', state: 'RUN', node: 'hpc-n112' });
    // Started 600 s ago with a 60-minute run limit: 50 minutes left.
    expect(Math.abs(Date.parse(running.endsAt!) - Date.now() - 3000_000)).toBeLessThan(10_000);
    expect(pending).toEqual({ id: '88302', state: 'PEND', reason: 'Job dependency condition not satisfied' });
    expect(held).toEqual({ id: '88303', state: 'PSUSP', reason: 'Job was suspended by the user while pending' });
    stop(registry, 'c0ffee12');
    await detach();
    expect(cancelled).toEqual([['88301', '88302', '88303', '88350']]);
  });
});

describe('lsf job logs', () => {
  it("are LSFCluster's -o and -e files, named after the worker the runner reported and the job id", async () => {
    const commands = fakeCommands({ jobs: async () => parseBjobs(sample('lsf', 'bjobs-json-noise.txt')) });
    const record = batchCluster('lsf', 'c0ffee13', [{ id: '88301', state: 'submitted' }], {
      ...BASE,
      log_directory: '/scratch/alice/logs'
    });
    record.jobNames = { '88301': 'LSFCluster-0' };
    const registry = registryOf(record);
    const detach = backend(commands).backend.attach!(registry);
    await until(() => registry.get('c0ffee13')!.jobLogs?.['88301'] !== undefined);
    expect(registry.get('c0ffee13')!.jobLogs?.['88301']).toEqual({
      stdout: '/scratch/alice/logs/LSFCluster-0-88301.out',
      stderr: '/scratch/alice/logs/LSFCluster-0-88301.err'
    });
    stop(registry, 'c0ffee13');
    await detach();
  });
});
