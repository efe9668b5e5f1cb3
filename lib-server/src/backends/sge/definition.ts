/**
 * The `sge` cluster type as data: dask_jobqueue.SGECluster, workers as Grid
 * Engine batch jobs, the scheduler here over TLS. Its fields, form hints,
 * argument mapping and snippet are a definition like a site's (definition.ts),
 * run by the generic engine (defined.ts); what data cannot say (queues and
 * their limits, directives that depend on the cores, checks before
 * submitting, the jobs' states and cleanup) is in its hooks (hooks.ts).
 */

import type { JSONSchema7 } from 'json-schema';
import { MEMORY_PATTERN } from '../../util/memory.js';
import type { ITypeDefinition } from '../definition.js';
import { needsPackage } from '../fields.js';
import { sgeHooks, type ISgeHookOptions } from './hooks.js';

const str = (title: string, description: string, extra: JSONSchema7 = {}): JSONSchema7 => ({
  type: 'string',
  title,
  description,
  ...extra
});

const int = (title: string, description: string, extra: JSONSchema7 = {}): JSONSchema7 => ({
  type: 'integer',
  title,
  description,
  minimum: 1,
  ...extra
});

/** `HH:MM:SS` (hours may exceed 24), as h_rt takes it. */
export const SGE_WALLTIME_PATTERN = '^\\s*\\d+:[0-5]\\d:[0-5]\\d\\s*$';

const textarea = { 'ui:widget': 'textarea', 'ui:options': { rows: 2 } };

/** The fields of the type, besides the shared ones. */
const SGE_OPTIONS: Record<string, JSONSchema7> = {
  queue: str(
    'Queue',
    'Cluster queue the worker jobs go to (qsub -q); its h_rt is checked before anything is submitted.'
  ),
  walltime: str(
    'Walltime',
    'Time limit of each worker job (h_rt), HH:MM:SS. Workers retire a few minutes before it, staggered, so an adaptive cluster replaces them before Grid Engine kills them.',
    { pattern: SGE_WALLTIME_PATTERN, default: '00:30:00' }
  ),
  cores: int(
    'Cores per job',
    'Slots of each job, shared by its worker processes; more than 1 asks the parallel environment for them.',
    { default: 1 }
  ),
  memory: str(
    'Memory per job',
    'Memory of each job for Dask, e.g. 4 GiB; ask Grid Engine for it with the resource list too (e.g. h_vmem=4G).',
    {
      pattern: MEMORY_PATTERN,
      default: '2 GiB'
    }
  ),
  processes: int('Worker processes per job', 'Dask workers in each job; cores and memory are split between them.', {
    default: 1
  }),
  parallel_environment: str(
    'Parallel environment',
    'For jobs of more than 1 core: -pe NAME CORES is added to the job.'
  ),
  resource_spec: str('Resource list', 'qsub -l resources of each job, e.g. h_vmem=4G,mem_free=4G; empty: none.', {
    default: ''
  }),
  job_name: str('Job name', 'Name of the jobs in qstat; the cluster id is appended.', {
    pattern: '^[A-Za-z_][A-Za-z0-9_.-]*$',
    default: 'dask-worker'
  }),
  job_extra_directives: str('Extra #$ directives', 'One per line, without "#$", e.g. -P myproject.', {
    default: ''
  }),
  log_directory: str(
    'Log directory',
    "Where each job's output file goes (shown in the sidebar); on a filesystem the hosts share.",
    {
      pattern: '\\S'
    }
  )
};

/** Options and values -> SGECluster keyword arguments (mapping.ts); h_rt, lifetime, directives, resources, log_dir come from the values hook. */
const SGE_KWARGS: Record<string, unknown> = {
  n_workers: '{workers}',
  queue: '{queue}',
  walltime: '{h_rt}',
  cores: '{cores}',
  memory: '{memory}',
  processes: '{processes}',
  resource_spec: '{resources}',
  job_name: '{job_name}-{cluster_id}',
  job_extra_directives: '{directives}',
  log_directory: '{log_dir}',
  // The variables first, before the worker starts.
  job_script_prologue: '{worker_env_exports}',
  // A worker's HTTP server (health, metrics) always runs: on loopback, since
  // it is plain HTTP; no Bokeh dashboard on the compute host at all.
  worker_extra_args: [
    '--no-dashboard',
    '--dashboard-address',
    '127.0.0.1:0',
    '--lifetime',
    '{lifetime}',
    '--lifetime-stagger',
    '{lifetime_stagger}'
  ],
  // The job script refers to the credentials there: the same in the preview and the submission.
  shared_temp_directory: '{security_directory}',
  silence_logs: false,
  // The companion reaches the dashboard from this host; nobody else needs it.
  scheduler_options: { dashboard_address: '127.0.0.1:0' }
};

/** The `sge` type; `hooks` gives it the Grid Engine commands, its log directory and its timer. */
export function sgeDefinition(hooks: ISgeHookOptions): ITypeDefinition {
  return {
    id: 'sge',
    title: 'Grid Engine (SGE)',
    description:
      'Workers are Grid Engine batch jobs (dask-jobqueue SGECluster); the scheduler runs here and speaks TLS.',
    clusterClass: 'dask_jobqueue.SGECluster',
    options: SGE_OPTIONS,
    required: ['queue', 'walltime', 'cores', 'memory', 'log_directory'],
    ui: {
      job_extra_directives: textarea
    },
    scaling: { workers: 2, adaptive: false, adaptive_minimum: 0, adaptive_maximum: 4 },
    kwargs: SGE_KWARGS,
    tls: true,
    jobScript: true,
    environmentCheck: needsPackage('dask-jobqueue', 'dask_jobqueue'),
    origin: 'the sge type',
    hooks: sgeHooks(hooks)
  };
}
