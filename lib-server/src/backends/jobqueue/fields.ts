/**
 * What the definitions of the batch types built on dask-jobqueue (pbs, lsf,
 * htcondor) share: schema builders, the fields every system has (cores,
 * memory, processes, job name, extra directives, log directory), the form's
 * layout, and the keyword arguments every JobQueueCluster takes the same way.
 */

import type { JSONSchema7 } from 'json-schema';
import { MEMORY_PATTERN } from '../../util/memory.js';
import { SCALING_FIELDS, WORKER_ENV_FIELD } from '../fields.js';

/** A string field. */
export const str = (title: string, description: string, extra: JSONSchema7 = {}): JSONSchema7 => ({
  type: 'string',
  title,
  description,
  ...extra
});

/** A positive integer field. */
export const int = (title: string, description: string, extra: JSONSchema7 = {}): JSONSchema7 => ({
  type: 'integer',
  title,
  description,
  minimum: 1,
  ...extra
});

/** The form hint of a field of several lines. */
export const TEXTAREA = { 'ui:widget': 'textarea', 'ui:options': { rows: 2 } };

/** The scaling defaults of a batch type: two jobs to start with. */
export const BATCH_SCALING = { workers: 2, adaptive: false, adaptive_minimum: 0, adaptive_maximum: 4 };

/** How the workers' variables reach them, for their field. */
export const EXPORTED = 'exported at the start of the job script prologue';

/** What a system calls its things, for the shared fields' words. */
export interface ISystemWords {
  /** The system's name, e.g. "PBS". */
  system: string;
  /** The job status command, e.g. "qstat". */
  status: string;
  /** The directive prefix and an example, e.g. `"#PBS"`, `-l place=scatter`. */
  directive: string;
  example: string;
  /** What each job's memory is asked of the system with. */
  memoryNote: string;
}

/** The fields every dask-jobqueue system has, in its words. */
export function commonOptions(words: ISystemWords): Record<string, JSONSchema7> {
  return {
    cores: int('Cores per job', 'CPUs of each job, shared by its worker processes.', { default: 1 }),
    memory: str('Memory per job', `Memory of each job for Dask, e.g. 4 GiB; ${words.memoryNote}.`, {
      pattern: MEMORY_PATTERN,
      default: '2 GiB'
    }),
    processes: int('Worker processes per job', 'Dask workers in each job; cores and memory are split between them.', {
      default: 1
    }),
    job_name: str('Job name', `Name of the jobs in ${words.status}; the cluster id is appended.`, {
      pattern: '^[A-Za-z_][A-Za-z0-9_.-]*$',
      default: 'dask-worker'
    }),
    job_extra_directives: str(
      `Extra ${words.directive} directives`,
      `One per line, without "${words.directive}", e.g. ${words.example}.`,
      { default: '' }
    ),
    log_directory: str(
      'Log directory',
      "Where each job's output and error files go; on a filesystem the compute hosts share.",
      { pattern: '\\S' }
    )
  };
}

/** How a system's queue and walltime read, for their fields. */
export interface IQueueWords {
  system: string;
  /** The submit option of the queue, e.g. "qsub -q". */
  queueOption: string;
  /** What of the queue is checked, e.g. "its resources_max limits are". */
  checked: string;
  /** The submit option of the walltime, e.g. "-l walltime". */
  walltimeOption: string;
  /** How the walltime is written, e.g. "HH:MM:SS", its pattern and default. */
  format: string;
  pattern: string;
  default: string;
}

/** The queue and walltime fields of a system that has queues with limits. */
export function queueFields(words: IQueueWords): Record<string, JSONSchema7> {
  return {
    queue: str(
      'Queue',
      `${words.system} queue the worker jobs go to (${words.queueOption}); ${words.checked} checked before anything is submitted.`
    ),
    walltime: str(
      'Walltime',
      `Time limit of each worker job (${words.walltimeOption}), ${words.format}. Workers retire a few minutes before it, staggered, so an adaptive cluster replaces them before ${words.system} kills them.`,
      { pattern: words.pattern, default: words.default }
    )
  };
}

/** The fields of each part of the form. */
export interface ILayoutParts {
  where: string[];
  big: string[];
  long: string[];
  advanced: string[];
}

/** The form's order and groups: where, how big, how long (when there is a walltime), how it scales, advanced. */
export function batchLayout(parts: ILayoutParts) {
  const advanced = [...parts.advanced, WORKER_ENV_FIELD];
  return {
    order: ['environment', ...parts.where, ...parts.long, ...parts.big, ...SCALING_FIELDS, ...advanced],
    groups: [
      { title: 'Where it runs', fields: ['environment', ...parts.where] },
      { title: 'How big', fields: [...parts.big, 'workers'] },
      ...(parts.long.length > 0 ? [{ title: 'How long', fields: parts.long }] : []),
      // Workers is sized with the jobs, above; the adaptive fields follow.
      { title: 'How it scales', fields: SCALING_FIELDS.slice(1) },
      { title: 'Advanced', fields: advanced, collapsed: true }
    ]
  };
}

/**
 * Keyword arguments every JobQueueCluster takes the same way, laid under the
 * system's own (`own`); `{worker_args}`, `{directives}` and `{log_dir}` come
 * from the values hook (batchValues).
 */
export function batchKwargs(own: Record<string, unknown>): Record<string, unknown> {
  return {
    n_workers: '{workers}',
    cores: '{cores}',
    memory: '{memory}',
    processes: '{processes}',
    job_name: '{job_name}-{cluster_id}',
    job_extra_directives: '{directives}',
    log_directory: '{log_dir}',
    // The variables first, before the worker starts.
    job_script_prologue: '{worker_env_exports}',
    // A worker's HTTP server (health, metrics) always runs: on loopback, since
    // it is plain HTTP; no Bokeh dashboard on the compute host at all.
    worker_extra_args: '{worker_args}',
    // The job script refers to the credentials there: the same in the preview and the submission.
    shared_temp_directory: '{security_directory}',
    silence_logs: false,
    // The companion reaches the dashboard from this host; nobody else needs it.
    scheduler_options: { dashboard_address: '127.0.0.1:0' },
    ...own
  };
}
