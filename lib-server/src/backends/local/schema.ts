/**
 * The local cluster type as the dialog sees it: JSON Schema (draft-07) of
 * its options, form hints, computed defaults and where they came from.
 * Pure: built from the environments and the host's resources.
 */

import type { JSONSchema7 } from 'json-schema';
import type { IClusterType, IDefaultSource } from '../../../../protocol/index.js';
import type { IEnvironmentInfo } from '../../envs/probe.js';
import { formatMemory, MEMORY_PATTERN, parseMemory } from '../../util/memory.js';
import {
  defaultEnvironment,
  defaultEnvironmentReason,
  environmentField,
  needsDistributed,
  SCALING_FIELDS,
  scalingFields,
  WORKER_ENV_FIELD,
  WORKER_ENV_UI,
  workerEnvField,
  type EnvironmentCheck
} from '../fields.js';
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
  /** The workers' environment variables, NAME=value lines. */
  worker_env: string;
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
  /** Whether clusters get TLS credentials (their environment then needs cryptography); default no. */
  tls?: boolean;
}

/** Which environments can run local clusters: distributed, and cryptography for TLS. */
export function localEnvironmentCheck(tls: boolean): EnvironmentCheck {
  return env => {
    const base = needsDistributed(env);
    if (base !== undefined || !tls || env.probe === undefined || env.probe.packages.cryptography !== undefined) {
      return base;
    }
    return (
      "lacks the cryptography package, which the cluster's TLS certificates need; " +
      `install it there (${env.python} -m pip install cryptography)`
    );
  };
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

/** Why no environment here can run local clusters. */
function unavailableReason(environments: IEnvironmentInfo[], check: EnvironmentCheck): string {
  if (!environments.some(env => env.usable)) {
    return 'No Python environment here has distributed: pip install distributed in the environment of a kernel.';
  }
  return `No Python environment here can run local clusters: ${environments.map(check).find(Boolean) ?? 'none found'}.`;
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
  const check = localEnvironmentCheck(input.tls ?? false);
  const env = defaultEnvironment(environments, input.serverPython, check);
  const usable = environments.some(e => check(e) === undefined);
  const memorySentence =
    `${formatMemory(host.memory.value)} from the ${host.memory.source}, minus ${formatMemory(reserve.value)} ` +
    `(${reserve.source})`;

  const room = HEADROOM * base.workers;
  const used = (parseMemory(base.memory_per_worker) ?? 0) * base.workers;
  const why = {
    environment: defaultEnvironmentReason(env, input.serverPython),
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

  const environment = environmentField(environments, {
    default: env,
    why: why.environment,
    check,
    description:
      'Python environment (from your kernelspecs) that runs the scheduler and the workers. Pick the one of ' +
      "your notebook's kernel so versions match."
  });
  const scalingDefaults = {
    workers: base.workers,
    adaptive: false,
    adaptive_minimum: 1,
    adaptive_maximum: base.adaptive_maximum
  };
  const scaling = scalingFields(scalingDefaults, {
    leastWorkers: 1,
    workers:
      `Number of workers to start. Default ${base.workers}: ${why.shape}; with the default memory per worker ` +
      `the cluster can be scaled up to ${room} workers later.`,
    maximum:
      `Most workers adaptive scaling may start. Default ${base.adaptive_maximum}: ${why.maximum}; ` +
      'together they must fit in the memory of this host.'
  });

  const defaults: Record<string, unknown> = {
    environment: env?.python,
    profile,
    ...scalingDefaults,
    threads_per_worker: base.threads_per_worker,
    processes: base.processes,
    memory_per_worker: base.memory_per_worker,
    ...fractionDefaults,
    [WORKER_ENV_FIELD]: ''
  };

  const schema: JSONSchema7 = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'object',
    additionalProperties: false,
    required: ['environment'],
    properties: {
      environment: environment.schema,
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
      ...scaling,
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
      ...fractions,
      [WORKER_ENV_FIELD]: workerEnvField("by each worker's nanny, so only with Separate processes")
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
      // Workers is sized with the profile, above; the adaptive fields follow.
      ...SCALING_FIELDS.slice(1),
      ...Object.keys(MEMORY_FRACTIONS),
      WORKER_ENV_FIELD
    ],
    // Sections of the dialog: the primary fields first, the tuning folded away.
    'ui:groups': [
      { title: 'Where it runs', fields: ['environment'] },
      { title: 'How big', fields: ['profile', 'workers', 'threads_per_worker', 'memory_per_worker'] },
      { title: 'How it scales', fields: SCALING_FIELDS.slice(1) },
      { title: 'Advanced', fields: ['processes', ...Object.keys(MEMORY_FRACTIONS), WORKER_ENV_FIELD], collapsed: true }
    ],
    memory_per_worker: { 'ui:patternError': 'Write a number and a unit, e.g. 4 GiB, 3.5GB or 512MiB.' },
    environment: environment.ui,
    [WORKER_ENV_FIELD]: WORKER_ENV_UI,
    profile: { 'ui:enumNames': PROFILES.map(p => PROFILE_TITLES[p]) }
  };

  return {
    id: 'local',
    title: 'Local',
    description: `Scheduler and workers on this machine (${cpus} CPUs, ${formatMemory(host.memory.value)}).`,
    available: usable,
    ...(usable ? {} : { reason: unavailableReason(environments, check) }),
    schema,
    uiSchema,
    defaults,
    sources,
    linked: [{ field: 'profile', values }]
  };
}
