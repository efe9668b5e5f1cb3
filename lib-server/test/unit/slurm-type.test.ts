/**
 * The SLURM type, a definition with hooks run by the generic engine: its
 * form, validation and keyword arguments: shared fields, worker variables,
 * jobqueue.yaml keys.
 */

import type { IClusterType, IFieldError } from '../../../protocol/index.js';
import { definedBackend } from '../../src/backends/defined.js';
import { parseWorkerEnv } from '../../src/backends/fields.js';
import { jobqueueConfig } from '../../src/backends/jobqueue/config.js';
import { slurmDefinition } from '../../src/backends/slurm/definition.js';
import type { IPartition, ISlurmCommands } from '../../src/backends/slurm/queries.js';
import type { IEnvironmentInfo } from '../../src/envs/probe.js';
import { NO_DASK, SERVER_PYTHON, USABLE } from './fixtures.js';

const JOBQUEUE: IEnvironmentInfo = {
  ...USABLE,
  python: '/envs/hpc/bin/python',
  label: 'hpc',
  probe: { ...USABLE.probe!, packages: { ...USABLE.probe!.packages, dask_jobqueue: '0.9.0' } }
};

const DEBUG: IPartition = {
  name: 'debug',
  isDefault: true,
  state: 'up',
  maxTime: Infinity,
  maxTimeText: 'infinite',
  cpusPerNode: 4,
  memoryPerNode: 16 * 2 ** 30,
  nodes: 1,
  nodeStates: ['idle']
};

/** What the fake SLURM and companion answer. */
interface ISlurmTypeInput {
  partitions: IPartition[];
  environments: IEnvironmentInfo[];
  serverPython: string;
  /** jobqueue.slurm of the dask config. */
  jobqueue: Record<string, unknown>;
  logDirectory: string;
}

function input(jobqueue: Record<string, unknown> = {}): ISlurmTypeInput {
  return {
    partitions: [DEBUG],
    environments: [USABLE, JOBQUEUE, NO_DASK],
    serverPython: SERVER_PYTHON,
    jobqueue,
    logDirectory: '/shared/logs'
  };
}

/** The backend of the definition with fake SLURM commands and runner. */
function backendOf(built: ISlurmTypeInput) {
  const commands: ISlurmCommands = {
    available: () => true,
    partitions: async () => built.partitions,
    queue: async () => [],
    cancel: async () => undefined,
    testScript: async () => undefined
  };
  return definedBackend(slurmDefinition({ commands, logDirectory: built.logDirectory, intervalMs: 1000 }), {
    environments: async () => built.environments,
    serverPython: built.serverPython,
    securityBase: '/shared',
    runRunner: async (_python, args) => (args[0] === 'config' ? { config: built.jobqueue } : { script: '#!/bin/sh\n' })
  });
}

function buildSlurmType(built: ISlurmTypeInput): Promise<IClusterType> {
  return backendOf(built).describe({});
}

/** The options a create request resolves to, the workers' variables and the keyword arguments; or its problems. */
async function resolveSlurmOptions(
  options: Record<string, unknown>,
  clusterId = 'x'
): Promise<
  | { options: Record<string, unknown>; workerEnv: Record<string, string>; kwargs: Record<string, unknown> }
  | { fields: IFieldError[] }
> {
  const result = await backendOf(input()).plan({ type: 'slurm', options }, clusterId);
  if ('fields' in result) {
    return result;
  }
  const resolved = result.plan.spec.options;
  const env = parseWorkerEnv(resolved.worker_env);
  return {
    options: resolved,
    workerEnv: 'env' in env ? env.env : {},
    kwargs: 'kwargs' in result.plan.start ? result.plan.start.kwargs : {}
  };
}

async function problems(options: Record<string, unknown>): Promise<IFieldError[]> {
  const result = await resolveSlurmOptions(options);
  if (!('fields' in result)) {
    throw new Error(`expected problems, got ${JSON.stringify(result.options)}`);
  }
  return result.fields;
}

describe('the SLURM form', () => {
  let type: IClusterType;
  beforeAll(async () => {
    type = await buildSlurmType(input());
  });

  it('offers the environments with dask-jobqueue, the first such by default, and says why', () => {
    expect(type.defaults.environment).toBe(JOBQUEUE.python);
    expect(type.sources).toContainEqual({
      field: 'environment',
      value: JOBQUEUE.python,
      source: 'the first environment that can run it'
    });
    const ui = type.uiSchema.environment as { 'ui:enumDisabled': string[]; 'ui:enumNames': string[] };
    expect(ui['ui:enumDisabled']).toEqual([SERVER_PYTHON, NO_DASK.python]);
    expect(ui['ui:enumNames'][0]).toBe(
      `Python 3 (ipykernel) — dask-jobqueue is not installed: ${SERVER_PYTHON} -m pip install dask-jobqueue`
    );
  });

  it('has the worker environment variables in its Advanced group', () => {
    const groups = type.uiSchema['ui:groups'] as { title: string; fields: string[] }[];
    expect(groups.find(group => group.title === 'Advanced')?.fields).toContain('worker_env');
    expect(type.defaults.worker_env).toBe('');
    expect(type.uiSchema.worker_env).toMatchObject({ 'ui:widget': 'textarea' });
  });

  it('is unavailable, saying what to install, when no environment has dask-jobqueue', async () => {
    const none = await buildSlurmType({ ...input(), environments: [USABLE, NO_DASK] });
    expect(none).toMatchObject({ available: false, reason: expect.stringContaining('pip install dask-jobqueue') });
    expect(none.defaults.environment).toBeUndefined();
  });
});

describe('jobqueue.yaml keys', () => {
  // Each key the SLURM type reads (as dask-jobqueue's YAML spells it), its value, and the default it gives.
  const keys: [string, unknown, string, unknown][] = [
    ['queue', 'debug', 'partition', 'debug'],
    ['account', 'proj', 'account', 'proj'],
    ['walltime', '00:45:00', 'walltime', '00:45:00'],
    ['cores', 2, 'cores', 2],
    ['memory', '3GiB', 'memory', '3GiB'],
    ['processes', 2, 'processes', 2],
    ['interface', 'ib0', 'interface', 'ib0'],
    ['log-directory', '/logs/here', 'log_directory', '/logs/here'],
    ['local-directory', '$TMPDIR', 'local_directory', '$TMPDIR'],
    ['job-extra-directives', ['--constraint=haswell'], 'job_extra_directives', '--constraint=haswell'],
    ['job-script-prologue', ['module load python'], 'job_script_prologue', 'module load python'],
    ['worker-extra-args', ['--resources GPU=1'], 'worker_extra_args', '--resources GPU=1']
  ];
  const hyphens = Object.fromEntries(keys.map(([key, value]) => [key, value]));
  const underscores = Object.fromEntries(keys.map(([key, value]) => [key.replace(/-/g, '_'), value]));

  it('are spelt one way, whichever way the config spells them, a set value over a null one', () => {
    expect(jobqueueConfig(underscores)).toEqual(hyphens);
    expect(jobqueueConfig(hyphens)).toEqual(hyphens);
    expect(jobqueueConfig({ 'log-directory': null, log_directory: '/x' })).toEqual({ 'log-directory': '/x' });
    expect(jobqueueConfig(undefined)).toEqual({});
  });

  it.each([
    ['hyphens', hyphens],
    ['underscores', underscores]
  ])('give the form its defaults, with %s', async (_spelling, config) => {
    const type = await buildSlurmType(input(jobqueueConfig(config)));
    expect(type.defaults).toMatchObject(Object.fromEntries(keys.map(([, , field, value]) => [field, value])));
    expect(type.sources).toContainEqual({
      field: 'job_extra_directives',
      value: '--constraint=haswell',
      source: 'your dask config (jobqueue.slurm)'
    });
  });
});

describe('SLURM validation', () => {
  it('refuses an environment without dask-jobqueue, saying how to install it', async () => {
    expect(await problems({ environment: SERVER_PYTHON })).toEqual([
      {
        path: '/environment',
        message: `Python 3 (ipykernel): dask-jobqueue is not installed: ${SERVER_PYTHON} -m pip install dask-jobqueue; choose another environment.`
      }
    ]);
  });

  it('refuses an adaptive minimum above the maximum', async () => {
    expect(await problems({ adaptive: true, adaptive_minimum: 5, adaptive_maximum: 2 })).toEqual([
      {
        path: '/adaptive_minimum',
        message: 'Minimum workers (5) is more than Maximum workers (2); lower the minimum or raise the maximum.'
      }
    ]);
  });

  it('refuses a worker variable line that is not NAME=value', async () => {
    expect(await problems({ worker_env: 'A=1\n2B=x' })).toEqual([
      { path: '/worker_env', message: expect.stringMatching(/^Line 2 of Worker environment variables \("2B=x"\)/) }
    ]);
  });
});

describe('SLURM keyword arguments', () => {
  it('export the worker variables at the start of the job script prologue', async () => {
    const resolved = await resolveSlurmOptions(
      { worker_env: "JDC_VAR=hello world\n# a comment\nQUOTED=it's", job_script_prologue: 'module load python' },
      'abcd1234'
    );
    if ('fields' in resolved) {
      throw new Error(JSON.stringify(resolved.fields));
    }
    expect(resolved.workerEnv).toEqual({ JDC_VAR: 'hello world', QUOTED: "it's" });
    const { kwargs } = resolved;
    expect(kwargs.job_script_prologue).toEqual([
      "export JDC_VAR='hello world'",
      `export QUOTED='it'"'"'s'`,
      'module load python'
    ]);
  });

  it('add nothing to the prologue without worker variables', async () => {
    const resolved = await resolveSlurmOptions({});
    expect('options' in resolved && resolved.kwargs.job_script_prologue).toEqual([]);
  });
});
