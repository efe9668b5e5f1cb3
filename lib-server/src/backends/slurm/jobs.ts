/**
 * Job visibility and cleanup for SLURM clusters, by the batch watcher
 * (jobqueue/watch.ts): while a SLURM cluster is active, `squeue` runs on a
 * slow timer and changes in its jobs' state, reason, node and end time go
 * into the registry (hence onto the event stream). When a cluster ends in
 * any way (stop, runner killed, companion restarted), every job its runner
 * reported, and every job with its name, is cancelled.
 */

import type { IJob } from '../../../../protocol/index.js';
import type { IClusterRecord, Registry } from '../../clusters/registry.js';
import type { BatchJobPhase, IBatchJob } from '../jobqueue/types.js';
import { BatchJobWatcher } from '../jobqueue/watch.js';
import type { IQueuedJob, ISlurmCommands } from './queries.js';

/** The SLURM job name of cluster `id` started with job name `base`. */
export function slurmJobName(base: string, id: string): string {
  return `${base}-${id}`;
}

function jobNameOf(record: IClusterRecord): string {
  const base = record.model.spec.options.job_name;
  return slurmJobName(typeof base === 'string' && base !== '' ? base : 'dask-worker', record.model.id);
}

/** `jobs` with what squeue says about them; the same array when nothing changed. */
export function mergeQueue(jobs: IJob[], queue: Map<string, IQueuedJob>): IJob[] {
  let changed = false;
  const merged = jobs.map(job => {
    const queued = queue.get(job.id);
    if (queued === undefined) {
      return job;
    }
    const next: IJob = {
      id: job.id,
      state: queued.state,
      ...(queued.reason !== undefined ? { reason: queued.reason } : {}),
      ...(queued.node !== undefined ? { node: queued.node } : {}),
      ...(queued.endsAt !== undefined ? { endsAt: queued.endsAt } : {})
    };
    if (JSON.stringify(next) !== JSON.stringify(job)) {
      changed = true;
      return next;
    }
    return job;
  });
  return changed ? merged : jobs;
}

/** A job of `squeue --json` as the batch watcher takes it. */
type ISlurmBatchJob = IQueuedJob & IBatchJob;

/** Where a job is, from SLURM's state. */
function phaseOf(state: string): BatchJobPhase {
  switch (state) {
    case 'PENDING':
      return 'pending';
    case 'RUNNING':
      return 'running';
    case 'COMPLETING':
      return 'ending';
    default:
      return 'unknown';
  }
}

/** Options of the SLURM job watcher. */
export interface IJobWatcherOptions {
  registry: Registry;
  commands: ISlurmCommands;
  /** Between two squeue calls. */
  intervalMs: number;
}

/**
 * The watcher of every SLURM cluster's jobs: the batch watcher with squeue
 * (whose rows say where each job's output goes), and scancel of the jobs'
 * ids and of every job of ours with the cluster's job name.
 */
export function slurmJobWatcher(options: IJobWatcherOptions): BatchJobWatcher<ISlurmBatchJob> {
  const { commands } = options;
  return new BatchJobWatcher<ISlurmBatchJob>({
    type: 'slurm',
    registry: options.registry,
    jobs: async () => (await commands.queue()).map(job => ({ ...job, phase: phaseOf(job.state) })),
    cancel: (ids, record) => commands.cancel(ids, jobNameOf(record)),
    intervalMs: options.intervalMs,
    logsOf: (_record, job) =>
      job.stdout || job.stderr
        ? { ...(job.stdout ? { stdout: job.stdout } : {}), ...(job.stderr ? { stderr: job.stderr } : {}) }
        : undefined
  });
}
