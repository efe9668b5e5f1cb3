/**
 * The `htcondor` cluster type as data: dask_jobqueue.HTCondorCluster,
 * workers as HTCondor jobs, the scheduler here over TLS. HTCondor has no
 * queues, walltimes, accounts or projects (HTCondorCluster refuses them), so
 * the form offers none: a run-time limit or a site's rules are submit
 * commands. Its fields, form hints, argument mapping and snippet are a
 * definition like a site's (definition.ts), run by the generic engine
 * (defined.ts); what data cannot say is in its hooks (hooks.ts).
 */

import type { JSONSchema7 } from 'json-schema';
import { MEMORY_PATTERN } from '../../util/memory.js';
import type { ITypeDefinition } from '../definition.js';
import { needsPackage } from '../fields.js';
import { BATCH_SCALING, EXPORTED, TEXTAREA, batchKwargs, batchLayout, commonOptions, str } from '../jobqueue/fields.js';
import { htcondorHooks, type IHtcondorHookOptions } from './hooks.js';

const COMMON = commonOptions({
  system: 'HTCondor',
  status: 'condor_q (JobBatchName)',
  directive: '#',
  example: '',
  memoryNote: 'HTCondor is asked for it as RequestMemory'
});

/** The fields of the type, besides the shared ones. */
const HTCONDOR_OPTIONS: Record<string, JSONSchema7> = {
  ...COMMON,
  disk: str('Disk per job', 'Scratch disk of each job (RequestDisk), e.g. 1 GiB.', {
    pattern: MEMORY_PATTERN,
    default: '1 GiB'
  }),
  job_extra_directives: str(
    'Extra submit commands',
    'One name = value per line, e.g. requirements = (OpSys == "LINUX"), or allowed_job_duration = 3600 to have HTCondor hold a job after an hour (workers then retire a few minutes before).',
    { default: '' }
  )
};

/** The `htcondor` type; `hooks` gives it the HTCondor commands, its log directory and its timer. */
export function htcondorDefinition(hooks: IHtcondorHookOptions): ITypeDefinition {
  return {
    id: 'htcondor',
    title: 'HTCondor',
    description: 'Workers are HTCondor jobs (dask-jobqueue HTCondorCluster); the scheduler runs here and speaks TLS.',
    clusterClass: 'dask_jobqueue.HTCondorCluster',
    options: HTCONDOR_OPTIONS,
    required: ['cores', 'memory', 'disk', 'log_directory'],
    ui: { job_extra_directives: TEXTAREA },
    scaling: BATCH_SCALING,
    environmentDescription:
      'Python environment of the scheduler and the workers; it needs dask-jobqueue and must exist on the execute hosts too.',
    workerEnv: EXPORTED,
    layout: batchLayout({
      where: ['job_extra_directives'],
      long: [],
      big: ['cores', 'memory', 'disk', 'processes'],
      advanced: ['job_name', 'log_directory']
    }),
    kwargs: batchKwargs({ disk: '{disk}' }),
    tls: true,
    jobScript: true,
    environmentCheck: needsPackage('dask-jobqueue', 'dask_jobqueue'),
    origin: 'the htcondor type',
    hooks: htcondorHooks(hooks)
  };
}
