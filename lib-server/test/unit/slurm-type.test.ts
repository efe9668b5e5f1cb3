/** The SLURM type's form, validation and keyword arguments: shared fields, worker variables, jobqueue.yaml keys. */

import type { IFieldError } from '../../../protocol/index.js';
import { slurmKwargs } from '../../src/backends/slurm/index.js';
import type { IPartition } from '../../src/backends/slurm/queries.js';
import { buildSlurmType, jobqueueConfig, type ISlurmTypeInput } from '../../src/backends/slurm/schema.js';
import { resolveSlurmOptions } from '../../src/backends/slurm/validate.js';
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

function input(jobqueue: Record<string, unknown> = {}): ISlurmTypeInput {
  return {
    available: true,
    partitions: [DEBUG],
    environments: [USABLE, JOBQUEUE, NO_DASK],
    serverPython: SERVER_PYTHON,
    jobqueue,
    logDirectory: '/shared/logs'
  };
}

function context(jobqueue: Record<string, unknown> = {}) {
  const built = input(jobqueue);
  return { type: buildSlurmType(built), partitions: built.partitions, environments: built.environments };
}

function problems(options: Record<string, unknown>): IFieldError[] {
  const result = resolveSlurmOptions(options, context());
  if (!('fields' in result)) {
    throw new Error(`expected problems, got ${JSON.stringify(result.options)}`);
  }
  return result.fields;
}

describe('the SLURM form', () => {
  const type = buildSlurmType(input());

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

  it('is unavailable, saying what to install, when no environment has dask-jobqueue', () => {
    const none = buildSlurmType({ ...input(), environments: [USABLE, NO_DASK] });
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
  ])('give the form its defaults, with %s', (_spelling, config) => {
    const type = buildSlurmType(input(jobqueueConfig(config)));
    expect(type.defaults).toMatchObject(Object.fromEntries(keys.map(([, , field, value]) => [field, value])));
    expect(type.sources).toContainEqual({
      field: 'job_extra_directives',
      value: '--constraint=haswell',
      source: 'your dask config (jobqueue.slurm)'
    });
  });
});

describe('SLURM validation', () => {
  it('refuses an environment without dask-jobqueue, saying how to install it', () => {
    expect(problems({ environment: SERVER_PYTHON })).toEqual([
      {
        path: '/environment',
        message: `Python 3 (ipykernel): dask-jobqueue is not installed: ${SERVER_PYTHON} -m pip install dask-jobqueue; choose another environment.`
      }
    ]);
  });

  it('refuses an adaptive minimum above the maximum', () => {
    expect(problems({ adaptive: true, adaptive_minimum: 5, adaptive_maximum: 2 })).toEqual([
      {
        path: '/adaptive_minimum',
        message: 'Minimum workers (5) is more than Maximum workers (2); lower the minimum or raise the maximum.'
      }
    ]);
  });

  it('refuses a worker variable line that is not NAME=value', () => {
    expect(problems({ worker_env: 'A=1\n2B=x' })).toEqual([
      { path: '/worker_env', message: expect.stringMatching(/^Line 2 of Worker environment variables \("2B=x"\)/) }
    ]);
  });
});

describe('SLURM keyword arguments', () => {
  it('export the worker variables at the start of the job script prologue', () => {
    const resolved = resolveSlurmOptions(
      { worker_env: "JDC_VAR=hello world\n# a comment\nQUOTED=it's", job_script_prologue: 'module load python' },
      context()
    );
    if ('fields' in resolved) {
      throw new Error(JSON.stringify(resolved.fields));
    }
    expect(resolved.workerEnv).toEqual({ JDC_VAR: 'hello world', QUOTED: "it's" });
    const kwargs = slurmKwargs(resolved, 'abcd1234', '/shared/abcd1234');
    expect(kwargs.job_script_prologue).toEqual([
      "export JDC_VAR='hello world'",
      `export QUOTED='it'"'"'s'`,
      'module load python'
    ]);
  });

  it('add nothing to the prologue without worker variables', () => {
    const resolved = resolveSlurmOptions({}, context());
    expect('options' in resolved && slurmKwargs(resolved, 'x', '/shared/x').job_script_prologue).toEqual([]);
  });
});
