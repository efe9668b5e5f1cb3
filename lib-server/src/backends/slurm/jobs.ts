/**
 * Job visibility and cleanup for SLURM clusters, by the batch watcher
 * (jobqueue/watch.ts): while a SLURM cluster is active, `squeue` runs on a
 * slow timer and changes in its jobs' state, reason, node and end time go
 * into the registry (hence onto the event stream). When a cluster ends in
 * any way (stop, runner killed, companion restarted), every job its runner
 * reported, and every job with its name, is cancelled. A job that left the
 * queue of a running cluster says how it ended (slurmEnd).
 */

import type { IJob } from '../../../../protocol/index.js';
import type { IClusterRecord, Registry } from '../../clusters/registry.js';
import type { BatchJobPhase, IBatchJob } from '../jobqueue/types.js';
import { BatchJobWatcher, type IEndedJob } from '../jobqueue/watch.js';
import { slurmEnded, type IQueuedJob, type ISlurmCommands, type ISlurmEnd } from './queries.js';

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
      return slurmEnded(state) ? 'ended' : 'unknown';
  }
}

/** SLURM's final states in words. */
const END_WORDS: Record<string, string> = {
  TIMEOUT: 'walltime reached',
  CANCELLED: 'cancelled outside JupyterLab',
  NODE_FAIL: 'node failed',
  BOOT_FAIL: 'its node failed to boot',
  OUT_OF_MEMORY: 'ran out of memory',
  PREEMPTED: 'preempted',
  DEADLINE: 'deadline reached',
  COMPLETED: 'its worker exited',
  FAILED: 'failed'
};

/**
 * A job's end as its row says it: the state, and why in words with SLURM's
 * own terms after (sacct's "CANCELLED by 0" names the uid).
 */
export function slurmEnd(end: ISlurmEnd): IEndedJob {
  const [state = end.state, ...by] = end.state.split(' ');
  const terms = by[0] === 'by' && by[1] !== undefined ? `${state} by uid ${by[1]}` : end.state;
  const exit = end.exitCode !== undefined && end.exitCode !== '0:0' ? `exit code ${end.exitCode}` : undefined;
  const details = [
    terms,
    ...(end.reason !== undefined ? [end.reason] : []),
    ...(state === 'FAILED' && exit ? [exit] : [])
  ];
  return { state, reason: `${END_WORDS[state] ?? 'ended'} (${details.join(', ')})` };
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
  const ended = commands.ended?.bind(commands);
  return new BatchJobWatcher<ISlurmBatchJob>({
    type: 'slurm',
    registry: options.registry,
    jobs: async () => (await commands.queue()).map(job => ({ ...job, phase: phaseOf(job.state) })),
    cancel: (ids, record) => commands.cancel(ids, jobNameOf(record)),
    intervalMs: options.intervalMs,
    ...(ended !== undefined
      ? {
          endedOf: async (ids: string[]) => new Map([...(await ended(ids))].map(([id, end]) => [id, slurmEnd(end)]))
        }
      : {}),
    logsOf: (_record, job) =>
      job.stdout || job.stderr
        ? { ...(job.stdout ? { stdout: job.stdout } : {}), ...(job.stderr ? { stderr: job.stderr } : {}) }
        : undefined
  });
}
