/**
 * The local cluster type as the dialog sees it: JSON Schema (draft-07) of
 * its options, form hints, computed defaults and where they came from.
 * Pure: built from the environments and the host's resources.
 */

import type { JSONSchema7 } from 'json-schema';
import type { IClusterType, IDefaultSource } from '../../../../protocol/index.js';
import type { IEnvironmentInfo } from '../../envs/probe.js';
import { formatMemory, MEMORY_PATTERN, parseMemory } from '../../util/memory.js';
import { HEADROOM, PROFILE_TITLES, PROFILES, profileValues, type Profile } from './profiles.js';
import type { IHostResources, ISourced } from './resources.js';

/** Options of a local cluster once validated, every default filled in. */
export interface ILocalOptions {
  environment: string;
  profile: Profile;
  workers: number;
  threads_per_worker: number;
  processes: boolean;
  memory_per_worker: string;
  adaptive: boolean;
  adaptive_minimum: number;
  adaptive_maximum: number;
  memory_target: number;
  memory_spill: number;
  memory_pause: number;
  memory_terminate: number;
}

/** The dask memory thresholds the form exposes, with dask's own defaults. */
export const MEMORY_FRACTIONS = {
  memory_target: { key: 'target', dask: 0.75, title: 'Memory target', what: 'a worker starts spilling data to disk' },
  memory_spill: { key: 'spill', dask: 0.85, title: 'Memory spill', what: 'a worker spills by measured process memory' },
  memory_pause: { key: 'pause', dask: 0.92, title: 'Memory pause', what: 'a worker stops starting new tasks' },
  memory_terminate: { key: 'terminate', dask: 0.98, title: 'Memory terminate', what: 'the nanny restarts the worker' }
} as const;

/** One of the memory threshold fields. */
export type MemoryFractionField = keyof typeof MEMORY_FRACTIONS;

/** What the local type is built from. */
export interface ILocalTypeInput {
  environments: IEnvironmentInfo[];
  /** The Jupyter server's interpreter, preferred as the default environment. */
  serverPython: string;
  host: IHostResources;
  /** Memory kept for the system. */
  reserve: ISourced;
}

/** The default environment: the server's when usable, else the first usable one. */
export function defaultEnvironment(input: ILocalTypeInput): IEnvironmentInfo | undefined {
  const usable = input.environments.filter(env => env.usable);
  return usable.find(env => env.python === input.serverPython) ?? usable[0] ?? input.environments[0];
}

/** Bytes that workers may share: the host's memory minus the reserve (at least half of it). */
export function workerBudget(host: IHostResources, reserve: ISourced): number {
  const left = host.memory.value - reserve.value;
  return left > 0 ? left : Math.floor(host.memory.value / 2);
}

/** Default of one memory threshold: the user's dask config for `environment`, else dask's. */
export function memoryFractionDefault(
  field: MemoryFractionField,
  environment: IEnvironmentInfo | undefined
): { value: number; source: string } {
  const { key, dask } = MEMORY_FRACTIONS[field];
  const name = `distributed.worker.memory.${key}`;
  const configured = environment?.probe?.config[name];
  if (typeof configured === 'number' && configured >= 0 && configured <= 1) {
    return { value: configured, source: `your dask config (${name})` };
  }
  return { value: dask, source: "dask's default" };
}

function environmentTitle(env: IEnvironmentInfo): string {
  const versions = env.usable ? ` (Python ${env.pythonVersion ?? '?'}, distributed ${env.distributed})` : '';
  if (!env.usable) {
    return `${env.label} — ${env.reason ?? 'not usable'}`;
  }
  return env.dashboardNote === undefined ? `${env.label}${versions}` : `${env.label}${versions} — ${env.dashboardNote}`;
}

/** The local type, with its schema and computed defaults. */
// eslint-disable-next-line max-lines-per-function -- one declarative schema of the local type's fields, read top to bottom like the form
export function buildLocalType(input: ILocalTypeInput): IClusterType {
  const { host, reserve, environments } = input;
  const cpus = host.cpus.value;
  const budget = workerBudget(host, reserve);
  const values = profileValues(cpus, budget);
  const profile: Profile = 'mixed';
  const base = values[profile];
  const env = defaultEnvironment(input);
  const usable = environments.some(e => e.usable);
  const memorySentence =
    `${formatMemory(host.memory.value)} from the ${host.memory.source}, minus ${formatMemory(reserve.value)} ` +
    `(${reserve.source})`;

  const room = HEADROOM * base.workers;
  const used = (parseMemory(base.memory_per_worker) ?? 0) * base.workers;
  const why = {
    environment:
      env?.python === input.serverPython
        ? "the Jupyter server's environment"
        : 'the first environment with distributed',
    shape: `${profile} profile on ${cpus} CPUs (${host.cpus.source})`,
    memory:
      `${memorySentence}, divided by ${room} so the cluster can grow to ${room} workers; ` +
      `${base.workers} workers take ${formatMemory(used)} and leave ${formatMemory(Math.max(0, budget - used))} free ` +
      `for scaling up, besides the ${formatMemory(reserve.value)} kept for the system`,
    maximum: 'as many workers as the profile starts'
  };
  const sources: IDefaultSource[] = [
    { field: 'environment', value: env?.python, source: why.environment },
    { field: 'workers', value: base.workers, source: why.shape },
    { field: 'threads_per_worker', value: base.threads_per_worker, source: why.shape },
    { field: 'memory_per_worker', value: base.memory_per_worker, source: why.memory },
    { field: 'adaptive_maximum', value: base.adaptive_maximum, source: why.maximum }
  ];
  const fractions: Record<string, JSONSchema7> = {};
  const fractionDefaults: Record<string, number> = {};
  for (const field of Object.keys(MEMORY_FRACTIONS) as MemoryFractionField[]) {
    const { title, what } = MEMORY_FRACTIONS[field];
    const fraction = memoryFractionDefault(field, env);
    sources.push({ field, value: fraction.value, source: fraction.source });
    fractionDefaults[field] = fraction.value;
    fractions[field] = {
      type: 'number',
      title,
      description: `Fraction of the memory limit at which ${what}. Default ${fraction.value}: ${fraction.source}.`,
      minimum: 0,
      maximum: 1,
      default: fraction.value
    };
  }

  const defaults: Record<string, unknown> = {
    environment: env?.python,
    profile,
    workers: base.workers,
    threads_per_worker: base.threads_per_worker,
    processes: base.processes,
    memory_per_worker: base.memory_per_worker,
    adaptive: false,
    adaptive_minimum: 1,
    adaptive_maximum: base.adaptive_maximum,
    ...fractionDefaults
  };

  const schema: JSONSchema7 = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'object',
    additionalProperties: false,
    required: ['environment'],
    properties: {
      environment: {
        type: 'string',
        title: 'Environment',
        description:
          'Python environment (from your kernelspecs) that runs the scheduler and the workers. Pick the one of ' +
          `your notebook's kernel so versions match. Default: ${env?.label ?? 'none'} (${why.environment}).`,
        enum: environments.map(e => e.python),
        default: env?.python
      },
      profile: {
        type: 'string',
        title: 'Workload profile',
        description:
          'cpu: one single-threaded process per CPU, for pure-Python work that holds the GIL; io: one process ' +
          'with a thread per CPU, for reading files and network calls; mixed: a few processes with a ' +
          'few threads each, for numeric work (NumPy, pandas). Choosing one sets workers, threads, processes and ' +
          'memory per worker.',
        enum: [...PROFILES],
        default: profile
      },
      workers: {
        type: 'integer',
        title: 'Workers',
        description:
          `Number of workers to start. Default ${base.workers}: ${why.shape}; with the default memory per worker ` +
          `the cluster can be scaled up to ${room} workers later.`,
        minimum: 1,
        default: base.workers
      },
      threads_per_worker: {
        type: 'integer',
        title: 'Threads per worker',
        description: `Threads that run tasks in each worker, at most the ${cpus} CPUs this host gives. Default ${base.threads_per_worker}: ${why.shape}.`,
        minimum: 1,
        maximum: cpus,
        default: base.threads_per_worker
      },
      processes: {
        type: 'boolean',
        title: 'Separate processes',
        description:
          'Run each worker in its own process (recommended). Off: workers are threads of the runner process, ' +
          'which only suits code that releases the GIL.',
        default: true
      },
      memory_per_worker: {
        type: 'string',
        title: 'Memory per worker',
        description:
          'Memory limit of each worker, e.g. 4 GiB, 3.5GB or 512MiB (GB = 10^9 bytes, GiB = 2^30 bytes). ' +
          `Default ${base.memory_per_worker}: ${why.memory}.`,
        pattern: MEMORY_PATTERN,
        default: base.memory_per_worker
      },
      adaptive: {
        type: 'boolean',
        title: 'Adaptive scaling',
        description: 'Let dask add and remove workers with the load, between the minimum and the maximum below.',
        default: false
      },
      adaptive_minimum: {
        type: 'integer',
        title: 'Minimum workers',
        description: 'Workers kept even when idle (adaptive scaling). Default 1.',
        minimum: 0,
        default: 1
      },
      adaptive_maximum: {
        type: 'integer',
        title: 'Maximum workers',
        description:
          `Most workers adaptive scaling may start. Default ${base.adaptive_maximum}: ${why.maximum}; ` +
          'together they must fit in the memory of this host.',
        minimum: 1,
        default: base.adaptive_maximum
      },
      ...fractions
    }
  };

  const uiSchema: Record<string, unknown> = {
    'ui:order': [
      'environment',
      'profile',
      'workers',
      'threads_per_worker',
      'memory_per_worker',
      'processes',
      'adaptive',
      'adaptive_minimum',
      'adaptive_maximum',
      ...Object.keys(MEMORY_FRACTIONS)
    ],
    // Sections of the dialog: the primary fields first, the tuning folded away.
    'ui:groups': [
      { title: 'Where it runs', fields: ['environment'] },
      { title: 'How big', fields: ['profile', 'workers', 'threads_per_worker', 'memory_per_worker'] },
      { title: 'How it scales', fields: ['adaptive', 'adaptive_minimum', 'adaptive_maximum'] },
      { title: 'Advanced', fields: ['processes', ...Object.keys(MEMORY_FRACTIONS)], collapsed: true }
    ],
    memory_per_worker: { 'ui:patternError': 'Write a number and a unit, e.g. 4 GiB, 3.5GB or 512MiB.' },
    environment: {
      'ui:enumNames': environments.map(environmentTitle),
      'ui:enumDisabled': environments.filter(e => !e.usable).map(e => e.python)
    },
    profile: { 'ui:enumNames': PROFILES.map(p => PROFILE_TITLES[p]) }
  };

  return {
    id: 'local',
    title: 'Local',
    description: `Scheduler and workers on this machine (${cpus} CPUs, ${formatMemory(host.memory.value)}).`,
    available: usable,
    ...(usable
      ? {}
      : {
          reason: 'No Python environment here has distributed: pip install distributed in the environment of a kernel.'
        }),
    schema,
    uiSchema,
    defaults,
    sources,
    linked: [{ field: 'profile', values }]
  };
}
