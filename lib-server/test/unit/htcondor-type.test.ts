/**
 * The `htcondor` type, a definition with hooks run by the generic engine:
 * its form (no queue, walltime, account or project: HTCondorCluster refuses
 * them) with jobqueue.htcondor's defaults, the start command it renders
 * (submit commands as a mapping, the batch name carrying the cluster id),
 * what it refuses before submitting, its preview, and its job rows from
 * `condor_q -json` followed by the shared watcher, which condor_rms a
 * stopped cluster's jobs.
 */

import { parseBetterAnalyze, parseCondorQ } from '../../src/backends/jobqueue/htcondor.js';
import { withReasons } from '../../src/backends/jobqueue/parse.js';
import type { IHtcondorCommands } from '../../src/backends/htcondor/commands.js';
import { htcondorDefinition } from '../../src/backends/htcondor/definition.js';
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

function fakeCommands(overrides: Partial<IHtcondorCommands> = {}): IHtcondorCommands {
  return { missing: () => undefined, jobs: async () => [], cancel: async () => undefined, ...overrides };
}

function backend(commands = fakeCommands(), runner?: FakeRunner) {
  return batchTypeBackend(htcondorDefinition, 'htcondor', commands, runner);
}

const BASE = { cores: 2, memory: '4 GiB', disk: '2 GiB' };

describe('the htcondor form', () => {
  it('offers no queue, walltime, account or project, and takes defaults from jobqueue.htcondor (either spelling)', async () => {
    const { backend: htcondor, calls } = backend(fakeCommands(), () => ({
      config: { disk: '4GB', cores: 2, job_extra_directives: { requirements: '(OpSys == "LINUX")' } }
    }));
    const type = await htcondor.describe({});
    expect(calls[0].args).toEqual(['config', 'jobqueue.htcondor']);
    expect(type).toMatchObject({ id: 'htcondor', available: true, preview: true });
    for (const refused of ['queue', 'walltime', 'account', 'project']) {
      expect(type.schema.properties).not.toHaveProperty(refused);
    }
    expect(type.defaults).toMatchObject({
      disk: '4GB',
      cores: 2,
      job_extra_directives: 'requirements = (OpSys == "LINUX")',
      log_directory: '/shared/htcondor/logs'
    });
    expect(type.sources).toContainEqual({
      field: 'disk',
      value: '4GB',
      source: 'your dask config (jobqueue.htcondor)'
    });
  });

  it('is unavailable naming the command it looked for, saying what to do', async () => {
    const type = await backend(fakeCommands({ missing: () => 'condor_submit' })).backend.describe({});
    expect(type.available).toBe(false);
    expect(type.reason).toMatch(/^condor_submit is not on PATH: start JupyterLab on an HTCondor submit host/);
  });
});

describe('the htcondor start command', () => {
  it('renders HTCondorCluster with TLS, disk, submit commands with the batch name, the worker variables, no lifetime', async () => {
    const start = await startOf(backend().backend, {
      ...BASE,
      worker_env: 'A=1',
      job_extra_directives: 'requirements = (OpSys == "LINUX")\n+ProjectName = "geo"'
    });
    expect(start).toMatchObject({ cluster_class: 'dask_jobqueue.HTCondorCluster' });
    expect(start.kwargs).toEqual({
      n_workers: 2,
      cores: 2,
      memory: '4 GiB',
      disk: '2 GiB',
      processes: 1,
      job_name: 'dask-worker-c0ffee12',
      job_extra_directives: {
        batch_name: 'dask-worker-c0ffee12',
        requirements: '(OpSys == "LINUX")',
        '+ProjectName': '"geo"'
      },
      log_directory: '/shared/htcondor/logs',
      job_script_prologue: ["export A='1'"],
      worker_extra_args: ['--no-dashboard', '--dashboard-address', '127.0.0.1:0'],
      shared_temp_directory: '/shared/htcondor/c0ffee12',
      security_directory: '/shared/htcondor/c0ffee12',
      silence_logs: false,
      scheduler_options: { dashboard_address: '127.0.0.1:0' }
    });
  });

  it('retires the workers before an allowed_job_duration', async () => {
    const start = await startOf(backend().backend, { ...BASE, job_extra_directives: 'allowed_job_duration = 3600' });
    expect(start.kwargs.worker_extra_args).toEqual([
      '--no-dashboard',
      '--dashboard-address',
      '127.0.0.1:0',
      '--lifetime',
      '3240s',
      '--lifetime-stagger',
      '180s'
    ]);
  });
});

describe('what the htcondor type refuses before submitting', () => {
  it.each([
    [
      'a submit command that is not name = value',
      { job_extra_directives: 'requirements = true\nqueue 3' },
      '/job_extra_directives',
      'Line 2 of Extra submit commands ("queue 3") is not name = value, e.g. requirements = (OpSys == "LINUX"); fix or remove it.'
    ],
    ['more worker processes than cores', { processes: 3 }, '/processes', /at least as many cores \(2\)/],
    ['a walltime, which HTCondor has not', { walltime: '01:00:00' }, '/walltime', /^Unknown field "walltime"/]
  ])('%s', async (_what, options, field, message) => {
    await expectRefused(backend(), { ...BASE, ...options }, field, message);
  });
});

describe('the htcondor preview', () => {
  it("asks runner.py job-script for the plan's class and arguments", async () => {
    expect(await previewInput(backend(), BASE)).toMatchObject({
      cluster_class: 'dask_jobqueue.HTCondorCluster',
      kwargs: { disk: '2 GiB', job_extra_directives: { batch_name: 'dask-worker-<cluster-id>' } }
    });
  });
});

describe('htcondor job rows and cleanup', () => {
  it("shows the status letter, why a job is idle or held, its host, its end and its log files; condor_rms a stopped cluster's jobs", async () => {
    const cancelled: string[][] = [];
    const analysed = withReasons(
      parseCondorQ(sample('htcondor', 'condor_q-json.txt')),
      new Map([['9153.0', parseBetterAnalyze(sample('htcondor', 'condor_q-better-analyze.txt'))!]])
    );
    const commands = fakeCommands({ jobs: async () => analysed, cancel: async ids => void cancelled.push(ids) });
    const submitted = ['9150.0', '9151.0', '9152.0', '9153.0'].map(id => ({ id, state: 'submitted' }));
    const registry = registryOf(
      batchCluster('htcondor', 'c0ffee12', submitted, { ...BASE, log_directory: '/shared/htcondor/logs' })
    );
    const detach = backend(commands).backend.attach!(registry);
    await until(() => registry.get('c0ffee12')!.model.jobs[0].state !== 'submitted');
    expect(registry.get('c0ffee12')!.model.jobs).toEqual([
      { id: '9150.0', state: 'R', node: 'wn031.pool.test', endsAt: '2024-12-02T12:50:00.000Z' },
      { id: '9151.0', state: 'I', reason: 'no match found' },
      { id: '9152.0', state: 'H', reason: 'The job exceeded allowed job duration of 1:00:00 (hold code 46)' },
      { id: '9153.0', state: 'I', reason: "No machines matched the job's constraints" }
    ]);
    expect(registry.get('c0ffee12')!.jobLogs?.['9150.0']).toEqual({
      stdout: '/shared/htcondor/logs/worker-9150.0.out',
      stderr: '/shared/htcondor/logs/worker-9150.0.err'
    });
    stop(registry, 'c0ffee12');
    await detach();
    expect(cancelled).toEqual([['9150.0', '9151.0', '9152.0', '9153.0']]);
  });
});
