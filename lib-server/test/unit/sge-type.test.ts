/**
 * The `sge` type, a definition with hooks run by the generic engine: its
 * form from the queues (fixture `qconf -sq` output) and jobqueue.sge, the
 * start command it renders, what it refuses before submitting, its preview
 * through runner.py job-script, and its job rows from `qstat -xml`.
 */

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { definedBackend } from '../../src/backends/defined.js';
import { parseQconfSq, parseQstatXml } from '../../src/backends/jobqueue/sge.js';
import { jobRow } from '../../src/backends/jobqueue/watch.js';
import type { ISgeCommands } from '../../src/backends/sge/commands.js';
import { sgeDefinition } from '../../src/backends/sge/definition.js';
import type { IStartCommand } from '../../src/runner/protocol.js';
import type { IEnvironmentInfo } from '../../src/envs/probe.js';
import { SERVER_PYTHON, USABLE } from './fixtures.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const sample = (name: string) => readFileSync(path.join(here, '..', 'fixtures', 'batch', 'sge', name), 'utf8');

const JOBQUEUE: IEnvironmentInfo = {
  ...USABLE,
  probe: { ...USABLE.probe!, packages: { ...USABLE.probe!.packages, dask_jobqueue: '0.9.0' } }
};

/** long.q: h_rt 72:00:00, up to 32 slots; short.q: no h_rt, 2 slots. */
const QUEUES = [parseQconfSq(sample('qconf-sq-long.q.txt')), parseQconfSq(sample('qconf-sq-short.q.txt'))];

function fakeCommands(overrides: Partial<ISgeCommands> = {}): ISgeCommands {
  return {
    qsub: () => '/usr/bin/qsub',
    queues: async () => QUEUES,
    parallelEnvironments: async () => ['mpi', 'smp'],
    jobs: async () => [],
    cancel: async () => undefined,
    ended: async () => new Map(),
    ...overrides
  };
}

/** The backend with fake commands; `runner` answers runner.py subcommands. */
function backend(
  commands = fakeCommands(),
  runner: (args: string[], input: unknown) => unknown = () => ({ config: {} })
) {
  const calls: { args: string[]; input: unknown }[] = [];
  const sge = definedBackend(sgeDefinition({ commands, logDirectory: '/shared/sge/logs', intervalMs: 1000 }), {
    environments: async () => [JOBQUEUE],
    serverPython: SERVER_PYTHON,
    securityBase: '/shared/sge',
    runRunner: async (_python, args, input) => {
      calls.push({ args, input });
      return runner(args, input);
    }
  });
  return { sge, calls };
}

const BASE = { queue: 'long.q', walltime: '01:00:00', cores: 1, memory: '4 GiB' };

async function startOf(options: Record<string, unknown>, b = backend().sge): Promise<IStartCommand> {
  const planned = await b.plan({ type: 'sge', options }, 'c0ffee12');
  if ('fields' in planned) {
    throw new Error(JSON.stringify(planned.fields));
  }
  return planned.plan.start;
}

describe('the sge form', () => {
  it('lists the queues with their h_rt and slots, and takes defaults from jobqueue.sge (either spelling)', async () => {
    const { sge, calls } = backend(fakeCommands(), () => ({
      config: { queue: 'short.q', memory: '8GiB', job_extra_directives: ['-P proj'], 'resource-spec': 'h_vmem=8G' }
    }));
    const type = await sge.describe({});
    expect(calls[0].args).toEqual(['config', 'jobqueue.sge']);
    expect(type).toMatchObject({ available: true, preview: true });
    expect(type.schema.properties).toHaveProperty('queue.enum', ['long.q', 'short.q']);
    expect(type.uiSchema.queue).toEqual({
      'ui:enumNames': ['long.q — h_rt 72:00:00, 32 slots per host', 'short.q — no time limit, 2 slots per host']
    });
    expect(type.defaults).toMatchObject({
      queue: 'short.q',
      memory: '8GiB',
      job_extra_directives: '-P proj',
      resource_spec: 'h_vmem=8G',
      walltime: '00:30:00',
      parallel_environment: 'smp',
      log_directory: '/shared/sge/logs',
      workers: 2
    });
    expect(type.sources).toContainEqual({
      field: 'queue',
      value: 'short.q',
      source: 'your dask config (jobqueue.sge)'
    });
    expect(type.sources).toContainEqual({
      field: 'log_directory',
      value: '/shared/sge/logs',
      source: 'next to the cluster credentials'
    });
  });

  it('is unavailable without qsub, saying what to do, and refuses to plan', async () => {
    const { sge } = backend(fakeCommands({ qsub: () => undefined }));
    const type = await sge.describe({});
    expect(type.available).toBe(false);
    expect(type.reason).toMatch(/^qsub is not on PATH: start JupyterLab on a Grid Engine submit host/);
    expect(await sge.plan({ type: 'sge', options: BASE }, 'c1')).toEqual({
      fields: [{ path: '', message: type.reason }]
    });
  });

  it('is unavailable with the reason when Grid Engine does not answer', async () => {
    const { sge } = backend(
      fakeCommands({ queues: () => Promise.reject(new Error('qconf -sql failed: cannot reach qmaster')) })
    );
    expect((await sge.describe({})).reason).toBe(
      'Grid Engine (SGE) does not answer: qconf -sql failed: cannot reach qmaster'
    );
  });
});

describe('the sge start command', () => {
  it('renders SGECluster with TLS, the walltime, the lifetime, the job name and the worker variables', async () => {
    const start = await startOf({ ...BASE, worker_env: 'A=1 2', workers: 3 });
    expect(start).toMatchObject({ cluster_class: 'dask_jobqueue.SGECluster', scaling: { mode: 'fixed', workers: 3 } });
    expect(start.kwargs).toEqual({
      n_workers: 3,
      queue: 'long.q',
      walltime: '01:00:00',
      cores: 1,
      memory: '4 GiB',
      processes: 1,
      job_name: 'dask-worker-c0ffee12',
      job_extra_directives: [],
      log_directory: '/shared/sge/logs',
      job_script_prologue: ["export A='1 2'"],
      worker_extra_args: [
        '--no-dashboard',
        '--dashboard-address',
        '127.0.0.1:0',
        '--lifetime',
        '3240s',
        '--lifetime-stagger',
        '180s'
      ],
      shared_temp_directory: '/shared/sge/c0ffee12',
      security_directory: '/shared/sge/c0ffee12',
      silence_logs: false,
      scheduler_options: { dashboard_address: '127.0.0.1:0' }
    });
  });

  it('adds -pe NAME cores after the extra directives for more than one core, and the resource list', async () => {
    const start = await startOf({
      ...BASE,
      cores: 4,
      processes: 2,
      parallel_environment: 'mpi',
      resource_spec: 'h_vmem=4G',
      job_extra_directives: '-P proj\n\n-m n'
    });
    expect(start.kwargs).toMatchObject({
      cores: 4,
      processes: 2,
      resource_spec: 'h_vmem=4G',
      job_extra_directives: ['-P proj', '-m n', '-pe mpi 4']
    });
  });
});

describe('what the sge type refuses before submitting', () => {
  it.each([
    [
      "a walltime above the queue's h_rt, naming the limit and a queue that allows it",
      { walltime: '73:00:00' },
      '/walltime',
      'Queue long.q allows at most 72:00:00 (h_rt); Grid Engine would keep a job of 73:00:00 waiting in qw for ever. Choose at most 72:00:00, or queue short.q (no time limit).'
    ],
    ['more cores than a host has slots', { queue: 'short.q', cores: 4 }, '/cores', /has 2 slots per host/],
    ['more worker processes than cores', { processes: 2 }, '/processes', /at least as many cores \(1\)/],
    ['a queue that does not exist', { queue: 'gpu.q' }, '/queue', /^Queue must be one of "long.q", "short.q"/],
    [
      'a walltime that is not HH:MM:SS',
      { walltime: 'soon' },
      '/walltime',
      /^Walltime is not written in a form it accepts/
    ]
  ])('%s', async (_what, options, field, message) => {
    const { sge, calls } = backend();
    for (const result of [
      await sge.plan({ type: 'sge', options: { ...BASE, ...options } }, 'c1'),
      await sge.preview!({ type: 'sge', options: { ...BASE, ...options } })
    ]) {
      expect('fields' in result).toBe(true);
      const fields = 'fields' in result ? result.fields : [];
      expect(fields.find(f => f.path === field)?.message).toEqual(
        typeof message === 'string' ? message : expect.stringMatching(message)
      );
    }
    expect(calls.filter(call => call.args[0] === 'job-script')).toEqual([]);
  });

  it('refuses more than one core when Grid Engine has no parallel environment', async () => {
    const { sge } = backend(fakeCommands({ parallelEnvironments: async () => [] }));
    const result = await sge.plan({ type: 'sge', options: { ...BASE, cores: 2, processes: 1 } }, 'c1');
    expect(result).toEqual({
      fields: [
        {
          path: '/parallel_environment',
          message: expect.stringMatching(/needs a parallel environment, and Grid Engine has none/)
        }
      ]
    });
  });
});

describe('the sge preview', () => {
  it("asks runner.py job-script for the plan's class and arguments", async () => {
    const { sge, calls } = backend(fakeCommands(), args =>
      args[0] === 'job-script' ? { script: '#!/bin/bash\n#$ -q long.q' } : { config: {} }
    );
    expect(await sge.preview!({ type: 'sge', options: BASE })).toEqual({ script: '#!/bin/bash\n#$ -q long.q' });
    const call = calls.find(c => c.args[0] === 'job-script')!;
    expect(call.input).toMatchObject({
      cluster_class: 'dask_jobqueue.SGECluster',
      kwargs: {
        job_name: 'dask-worker-<cluster-id>',
        walltime: '01:00:00',
        security_directory: '/shared/sge/<cluster-id>'
      }
    });
  });
});

describe('sge job rows', () => {
  it('show the state letters, the host of a running job and its end time from the walltime', () => {
    const jobs = parseQstatXml(sample('qstat-xml.xml'));
    const running = jobs.find(job => job.id === '731')!;
    const row = jobRow(running, 3600);
    expect(row).toMatchObject({ id: '731', state: 'r', node: 'exec03.grid.test' });
    expect(Date.parse(row.endsAt!) - Date.parse(running.startedAt!)).toBe(3600_000);
    expect(
      jobRow(
        jobs.find(job => job.id === '732')!,
        3600
      )
    ).toEqual({ id: '732', state: 'qw' });
  });
});
