/**
 * The `pbs` cluster type as data: dask_jobqueue.PBSCluster, workers as PBS
 * Professional / OpenPBS batch jobs, the scheduler here over TLS. Its
 * fields, form hints, argument mapping and snippet are a definition like a
 * site's (definition.ts), run by the generic engine (defined.ts); what data
 * cannot say (queues and their limits, jobqueue.pbs defaults, the walltime
 * and worker lifetime, checks before submitting, the jobs' states and
 * cleanup) is in its hooks (hooks.ts).
 */

import type { JSONSchema7 } from 'json-schema';
import type { ITypeDefinition } from '../definition.js';
import { needsPackage } from '../fields.js';
import {
  BATCH_SCALING,
  EXPORTED,
  TEXTAREA,
  batchKwargs,
  batchLayout,
  commonOptions,
  queueFields,
  str
} from '../jobqueue/fields.js';
import { pbsHooks, type IPbsHookOptions } from './hooks.js';

/** `HH:MM:SS` (hours may exceed 24), as `-l walltime` takes it. */
export const PBS_WALLTIME_PATTERN = '^\\s*\\d+:[0-5]\\d:[0-5]\\d\\s*$';

/** The fields of the type, besides the shared ones. */
const PBS_OPTIONS: Record<string, JSONSchema7> = {
  ...queueFields({
    system: 'PBS',
    queueOption: 'qsub -q',
    checked: 'its resources_max limits are',
    walltimeOption: '-l walltime',
    format: 'HH:MM:SS',
    pattern: PBS_WALLTIME_PATTERN,
    default: '00:30:00'
  }),
  account: str('Account', 'Account charged for the jobs (qsub -A); empty: $PBS_ACCOUNT, or none.', { default: '' }),
  ...commonOptions({
    system: 'PBS',
    status: 'qstat',
    directive: '#PBS',
    example: '-l place=scatter',
    memoryNote: 'without a resource request, PBS is asked for select=1:ncpus=CORES:mem=MEMORY'
  }),
  resource_spec: str(
    'Resource request',
    'qsub -l resources of each job, e.g. select=1:ncpus=8:mem=28gb:ngpus=1; empty: select=1 with the cores and memory above.',
    { default: '' }
  )
};

/** The `pbs` type; `hooks` gives it the PBS commands, its log directory and its timer. */
export function pbsDefinition(hooks: IPbsHookOptions): ITypeDefinition {
  return {
    id: 'pbs',
    title: 'PBS',
    description:
      'Workers are PBS Professional / OpenPBS batch jobs (dask-jobqueue PBSCluster); the scheduler runs here and speaks TLS.',
    clusterClass: 'dask_jobqueue.PBSCluster',
    options: PBS_OPTIONS,
    required: ['queue', 'walltime', 'cores', 'memory', 'log_directory'],
    ui: { job_extra_directives: TEXTAREA },
    scaling: BATCH_SCALING,
    environmentDescription:
      'Python environment of the scheduler and the workers; it needs dask-jobqueue and must exist on the compute nodes too.',
    workerEnv: EXPORTED,
    layout: batchLayout({
      where: ['queue', 'account'],
      long: ['walltime'],
      big: ['cores', 'memory', 'processes'],
      advanced: ['resource_spec', 'job_name', 'job_extra_directives', 'log_directory']
    }),
    kwargs: batchKwargs({
      queue: '{queue}',
      account: '{account_arg}',
      walltime: '{walltime_arg}',
      resource_spec: '{resources}'
    }),
    tls: true,
    jobScript: true,
    environmentCheck: needsPackage('dask-jobqueue', 'dask_jobqueue'),
    origin: 'the pbs type',
    hooks: pbsHooks(hooks)
  };
}
