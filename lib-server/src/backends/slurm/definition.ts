/**
 * The `slurm` cluster type as data: dask_jobqueue.SLURMCluster, workers as
 * SLURM batch jobs, the scheduler here over TLS. Its fields, form hints and
 * groups, argument mapping and snippet are a definition like a site's
 * (definition.ts), run by the generic engine (defined.ts); what data cannot
 * say (partitions and their limits, jobqueue.slurm defaults, the walltime
 * and worker lifetime, `sbatch --test-only`, the jobs' states and cleanup,
 * the cap on jobs) is in its hooks (hooks.ts).
 */

import type { JSONSchema7 } from 'json-schema';
import { MEMORY_PATTERN } from '../../util/memory.js';
import type { ITypeDefinition } from '../definition.js';
import { needsPackage, SCALING_FIELDS, WORKER_ENV_FIELD } from '../fields.js';
import { slurmHooks, type ISlurmHookOptions } from './hooks.js';
import { WALLTIME_PATTERN } from './walltime.js';

/** The class SLURM clusters are made of. */
export const SLURM_CLASS = 'dask_jobqueue.SLURMCluster';

/** Which environments can run SLURMCluster. */
export const slurmEnvironmentCheck = needsPackage('dask-jobqueue', 'dask_jobqueue');

const str = (title: string, description: string, extra: JSONSchema7 = {}): JSONSchema7 => ({
  type: 'string',
  title,
  description,
  ...extra
});

const int = (title: string, description: string, minimum: number): JSONSchema7 => ({
  type: 'integer',
  title,
  description,
  minimum
});

/** The fields of the type, besides the shared ones; defaults the form hook does not compute are here. */
const SLURM_OPTIONS: Record<string, JSONSchema7> = {
  partition: str(
    'Partition',
    'SLURM partition (queue) the worker jobs go to; its limits are checked before anything is submitted.'
  ),
  account: str('Account', 'Account charged for the jobs (sbatch --account); empty: your default.'),
  qos: str('QOS', 'Quality of service (sbatch --qos); empty: the default.', { default: '' }),
  walltime: str(
    'Walltime',
    'Time limit of each worker job, e.g. 01:00:00 or 1-00:00:00. Workers retire a few minutes before it, staggered, so an adaptive cluster replaces them before SLURM kills them.',
    { pattern: WALLTIME_PATTERN }
  ),
  cores: int('Cores per job', 'CPUs of each job, shared by its worker processes.', 1),
  memory: str('Memory per job', 'Memory of each job, e.g. 4 GiB (GiB = 2^30 bytes; SLURM writes G).', {
    pattern: MEMORY_PATTERN
  }),
  processes: int('Worker processes per job', 'Dask workers in each job; cores and memory are split between them.', 1),
  job_name: str('Job name', 'Name of the jobs in squeue; the cluster id is appended.', {
    pattern: '^[A-Za-z0-9_.-]+$'
  }),
  job_extra_directives: str('Extra #SBATCH directives', 'One per line, without "#SBATCH", e.g. --constraint=haswell.'),
  job_script_prologue: str(
    'Script prologue',
    'Shell lines run before the worker starts, e.g. module load python or source activate myenv.'
  ),
  worker_extra_args: str(
    'Extra worker arguments',
    'Arguments added to the dask worker command line, e.g. --resources GPU=1.'
  ),
  interface: str(
    'Network interface',
    'Interface the scheduler and workers use (e.g. ib0, eth0) when workers cannot reach the scheduler; empty: dask picks.'
  ),
  log_directory: str('Log directory', "Where each job's output and error files go (shown in the sidebar)."),
  local_directory: str(
    'Local directory',
    'Scratch directory for workers on the compute node, e.g. $TMPDIR or /scratch/$USER; empty: the job working directory.'
  )
};

const ADVANCED = [
  'job_name',
  'job_extra_directives',
  'job_script_prologue',
  'worker_extra_args',
  'interface',
  'log_directory',
  'local_directory',
  WORKER_ENV_FIELD
];

const textarea = { 'ui:widget': 'textarea', 'ui:options': { rows: 2 } };

/** Options and values -> SLURMCluster keyword arguments (mapping.ts); the computed ones come from the values hook. */
const SLURM_KWARGS: Record<string, unknown> = {
  queue: '{partition}',
  account: '{account_arg}',
  walltime: '{time}',
  cores: '{cores}',
  // dask-jobqueue parses it with dask.utils.parse_bytes; no spaces keeps the script tidy.
  memory: '{memory_arg}',
  processes: '{processes}',
  job_name: '{job_name}-{cluster_id}',
  job_extra_directives: '{directives}',
  // The variables first, so the user's own prologue lines can use them.
  job_script_prologue: '{prologue}',
  // A worker's HTTP server (health, metrics) always runs: on loopback, since
  // it is plain HTTP; no Bokeh dashboard on the compute node at all.
  worker_extra_args: '{worker_args}',
  interface: '{interface_arg}',
  log_directory: '{log_directory_arg}',
  local_directory: '{local_directory_arg}',
  // The job script refers to the credentials there: the same in the preview and the submission.
  shared_temp_directory: '{security_directory}',
  silence_logs: false,
  // The companion reaches the dashboard from this host; nobody else needs it.
  scheduler_options: { dashboard_address: '127.0.0.1:0' },
  n_workers: '{workers}'
};

const SCALING = { workers: 2, adaptive: false, adaptive_minimum: 0, adaptive_maximum: 4 };

/** The `slurm` type; `hooks` gives it the SLURM commands, its log directory and its timer. */
export function slurmDefinition(hooks: ISlurmHookOptions): ITypeDefinition {
  return {
    id: 'slurm',
    title: 'SLURM',
    description: 'Workers are SLURM batch jobs (dask-jobqueue); the scheduler runs here and speaks TLS.',
    clusterClass: SLURM_CLASS,
    options: SLURM_OPTIONS,
    required: ['partition', 'walltime', 'cores', 'memory'],
    ui: {
      job_extra_directives: textarea,
      job_script_prologue: textarea,
      worker_extra_args: textarea
    },
    scaling: SCALING,
    scalingWords: {
      workers: `Number of workers (jobs = workers / processes per job). Default ${SCALING.workers}.`
    },
    environmentDescription:
      'Python environment of the scheduler and the workers; it needs dask-jobqueue and must exist on the compute nodes too.',
    workerEnv: 'exported at the start of the job script prologue',
    layout: {
      order: [
        'environment',
        'partition',
        'account',
        'qos',
        'walltime',
        'cores',
        'memory',
        'processes',
        ...SCALING_FIELDS,
        ...ADVANCED
      ],
      groups: [
        { title: 'Where it runs', fields: ['environment', 'partition', 'account', 'qos'] },
        { title: 'How big', fields: ['cores', 'memory', 'processes', 'workers'] },
        { title: 'How long', fields: ['walltime'] },
        // Workers is sized with the jobs, above; the adaptive fields follow.
        { title: 'How it scales', fields: SCALING_FIELDS.slice(1) },
        { title: 'Advanced', fields: ADVANCED, collapsed: true }
      ]
    },
    // The hooks say these in SLURM's terms, with what to write instead.
    hookChecked: [
      { path: '/partition', keyword: 'enum' },
      { path: '/memory', keyword: 'pattern' },
      { path: '/walltime', keyword: 'pattern' }
    ],
    kwargs: SLURM_KWARGS,
    tls: true,
    jobScript: true,
    environmentCheck: slurmEnvironmentCheck,
    origin: 'the slurm type',
    hooks: slurmHooks(hooks)
  };
}
