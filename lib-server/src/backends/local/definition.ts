/**
 * The `local` cluster type as data: distributed.LocalCluster on the Jupyter
 * host, everything on loopback. Its fields, form hints, argument mapping and
 * dask config are a definition like any other (definition.ts), run by the
 * generic engine (defined.ts); what depends on this host (CPUs, memory, the
 * user's other clusters, scratch space) is in its hooks (hooks.ts).
 */

import type { JSONSchema7 } from 'json-schema';
import { MEMORY_PATTERN } from '../../util/memory.js';
import type { ITypeDefinition } from '../definition.js';
import { SCALING_FIELDS, WORKER_ENV_FIELD } from '../fields.js';
import { localHooks, type ILocalBackendOptions } from './hooks.js';
import { PROFILE_TITLES, PROFILES } from './profiles.js';
import { localEnvironmentCheck, MEMORY_FRACTIONS, type MemoryFractionField } from './schema.js';

const FRACTION_FIELDS = Object.keys(MEMORY_FRACTIONS) as MemoryFractionField[];

/** The memory thresholds: their bounds here, their defaults (the environment's dask config) from the hook. */
const FRACTION_OPTIONS: Record<string, JSONSchema7> = Object.fromEntries(
  FRACTION_FIELDS.map(field => [
    field,
    {
      type: 'number',
      title: MEMORY_FRACTIONS[field].title,
      description: `Fraction of the memory limit at which ${MEMORY_FRACTIONS[field].what}.`,
      minimum: 0,
      maximum: 1,
      default: MEMORY_FRACTIONS[field].dask
    }
  ])
);

/** The fields of the type, besides the shared ones; the hook sizes them for this host. */
const LOCAL_OPTIONS: Record<string, JSONSchema7> = {
  profile: {
    type: 'string',
    title: 'Workload profile',
    description:
      'cpu: one single-threaded process per CPU, for pure-Python work that holds the GIL; io: one process ' +
      'with a thread per CPU, for reading files and network calls; mixed: a few processes with a ' +
      'few threads each, for numeric work (NumPy, pandas). Choosing one sets workers, threads, processes and ' +
      'memory per worker.',
    enum: [...PROFILES],
    default: 'mixed'
  },
  threads_per_worker: {
    type: 'integer',
    title: 'Threads per worker',
    description: 'Threads that run tasks in each worker, at most the CPUs this host gives.',
    minimum: 1,
    default: 1
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
    description: 'Memory limit of each worker, e.g. 4 GiB, 3.5GB or 512MiB (GB = 10^9 bytes, GiB = 2^30 bytes).',
    pattern: MEMORY_PATTERN
  },
  ...FRACTION_OPTIONS
};

/** The local type; with TLS unless the site turned it off (no `localSecurityBase`). */
export function localDefinition(options: ILocalBackendOptions): ITypeDefinition {
  const tls = options.localSecurityBase !== undefined;
  return {
    id: 'local',
    title: 'Local',
    description: 'Scheduler and workers on this machine.',
    clusterClass: 'distributed.LocalCluster',
    options: LOCAL_OPTIONS,
    required: [],
    ui: {
      memory_per_worker: { 'ui:patternError': 'Write a number and a unit, e.g. 4 GiB, 3.5GB or 512MiB.' },
      profile: { 'ui:enumNames': PROFILES.map(p => PROFILE_TITLES[p]) }
    },
    scaling: { workers: 1, adaptive: false, adaptive_minimum: 1, adaptive_maximum: 1 },
    scalingWords: { leastWorkers: 1 },
    environmentDescription:
      'Python environment (from your kernelspecs) that runs the scheduler and the workers. Pick the one of ' +
      "your notebook's kernel so versions match.",
    workerEnv: "by each worker's nanny, so only with Separate processes",
    layout: {
      order: [
        'environment',
        'profile',
        'workers',
        'threads_per_worker',
        'memory_per_worker',
        'processes',
        // Workers is sized with the profile, above; the adaptive fields follow.
        ...SCALING_FIELDS.slice(1),
        ...FRACTION_FIELDS,
        WORKER_ENV_FIELD
      ],
      // The primary fields first, the tuning folded away.
      groups: [
        { title: 'Where it runs', fields: ['environment'] },
        { title: 'How big', fields: ['profile', 'workers', 'threads_per_worker', 'memory_per_worker'] },
        { title: 'How it scales', fields: SCALING_FIELDS.slice(1) },
        { title: 'Advanced', fields: ['processes', ...FRACTION_FIELDS, WORKER_ENV_FIELD], collapsed: true }
      ]
    },
    // The hooks say these in the host's terms (a size, its CPUs).
    hookChecked: [
      { path: '/memory_per_worker', keyword: 'pattern' },
      { path: '/threads_per_worker', keyword: 'maximum' }
    ],
    kwargs: {
      n_workers: '{workers}',
      threads_per_worker: '{threads_per_worker}',
      processes: '{processes}',
      memory_limit: '{memory_limit}',
      local_directory: '{local_directory}',
      // Loopback only: scheduler, nannies, workers and the dashboard.
      dashboard_address: '127.0.0.1:0',
      host: '127.0.0.1',
      scheduler_port: 0,
      // Keep distributed's own log levels: the log file is where users look.
      silence_logs: false,
      // LocalCluster hands `env` to each Nanny, which sets it in its worker process.
      env: '{nanny_env}'
    },
    config: Object.fromEntries(
      FRACTION_FIELDS.map(field => [`distributed.worker.memory.${MEMORY_FRACTIONS[field].key}`, `{${field}}`])
    ),
    // LocalCluster's start only awaits: local clusters of one environment share a runner.
    sharedRunner: true,
    tls,
    environmentCheck: localEnvironmentCheck(tls),
    origin: 'the local type',
    hooks: localHooks(options)
  };
}
