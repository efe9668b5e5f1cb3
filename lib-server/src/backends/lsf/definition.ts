/**
 * The `lsf` cluster type as data: dask_jobqueue.LSFCluster, workers as IBM
 * Spectrum LSF batch jobs, the scheduler here over TLS. Its fields, form
 * hints, argument mapping and snippet are a definition like a site's
 * (definition.ts), run by the generic engine (defined.ts); what data cannot
 * say (queues and their run limits, jobqueue.lsf defaults, the walltime and
 * worker lifetime, checks before submitting, the jobs' states and cleanup)
 * is in its hooks (hooks.ts).
 */

import type { JSONSchema7 } from 'json-schema';
import { MEMORY_PATTERN } from '../../util/memory.js';
import type { ITypeDefinition } from '../definition.js';
import { needsPackage } from '../fields.js';
import {
  BATCH_SCALING,
  EXPORTED,
  TEXTAREA,
  batchKwargs,
  batchLayout,
  commonOptions,
  int,
  queueFields,
  str
} from '../jobqueue/fields.js';
import { lsfHooks, type ILsfHookOptions } from './hooks.js';

/** `HH:MM` (hours may exceed 24), as bsub -W takes it. */
export const LSF_WALLTIME_PATTERN = '^\\s*\\d+:[0-5]\\d\\s*$';

/** The fields of the type, besides the shared ones. */
const LSF_OPTIONS: Record<string, JSONSchema7> = {
  ...queueFields({
    system: 'LSF',
    queueOption: 'bsub -q',
    checked: 'its RUNLIMIT is',
    walltimeOption: 'bsub -W',
    format: 'HH:MM',
    pattern: LSF_WALLTIME_PATTERN,
    default: '00:30'
  }),
  project: str('Project', 'Project charged for the jobs (bsub -P); empty: your default.', { default: '' }),
  ...commonOptions({
    system: 'LSF',
    status: 'bjobs',
    directive: '#BSUB',
    example: '-R "select[mem>4000]"',
    memoryNote: 'LSF is asked for it with -M (in the units of LSF_UNIT_FOR_LIMITS) unless Memory limit says otherwise'
  }),
  ncpus: int('Slots per job', 'LSF slots of each job (bsub -n); 0: as many as Cores per job.', {
    minimum: 0,
    default: 0
  }),
  mem: str('Memory limit', 'Memory limit of each job for LSF (bsub -M), e.g. 8 GiB; empty: Memory per job.', {
    pattern: `^\\s*$|${MEMORY_PATTERN}`,
    default: ''
  })
};

/** The `lsf` type; `hooks` gives it the LSF commands, its log directory and its timer. */
export function lsfDefinition(hooks: ILsfHookOptions): ITypeDefinition {
  return {
    id: 'lsf',
    title: 'LSF',
    description:
      'Workers are IBM Spectrum LSF batch jobs (dask-jobqueue LSFCluster); the scheduler runs here and speaks TLS.',
    clusterClass: 'dask_jobqueue.LSFCluster',
    options: LSF_OPTIONS,
    required: ['queue', 'walltime', 'cores', 'memory', 'log_directory'],
    ui: { job_extra_directives: TEXTAREA },
    scaling: BATCH_SCALING,
    environmentDescription:
      'Python environment of the scheduler and the workers; it needs dask-jobqueue and must exist on the compute hosts too.',
    workerEnv: EXPORTED,
    layout: batchLayout({
      where: ['queue', 'project'],
      long: ['walltime'],
      big: ['cores', 'memory', 'processes'],
      advanced: ['ncpus', 'mem', 'job_name', 'job_extra_directives', 'log_directory']
    }),
    kwargs: batchKwargs({
      queue: '{queue}',
      project: '{project_arg}',
      walltime: '{walltime_arg}',
      ncpus: '{ncpus_arg}',
      mem: '{mem_arg}'
    }),
    tls: true,
    jobScript: true,
    environmentCheck: needsPackage('dask-jobqueue', 'dask_jobqueue'),
    origin: 'the lsf type',
    hooks: lsfHooks(hooks)
  };
}
