/**
 * Job visibility and cleanup for SLURM clusters. While a SLURM cluster is
 * active, `squeue` runs on a slow timer and changes in its jobs' state,
 * reason, node and end time go into the registry (hence onto the event
 * stream). When a cluster ends in any way (stop, runner killed, companion
 * restarted), every job its runner reported, and every job with its name,
 * is cancelled.
 */

import type { IJob } from '../../../../protocol/index.js';
import { ACTIVE_STATES, type IClusterRecord, type Registry } from '../../clusters/registry.js';
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

/** Options of SlurmJobWatcher. */
export interface IJobWatcherOptions {
  registry: Registry;
  commands: ISlurmCommands;
  /** Between two squeue calls. */
  intervalMs: number;
}

/** Watches the jobs of every SLURM cluster in the registry. */
export class SlurmJobWatcher {
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private readonly cancelling = new Set<string>();
  private readonly pending = new Set<Promise<void>>();
  private disconnect: (() => void) | undefined;

  constructor(private readonly options: IJobWatcherOptions) {}

  /** Start following the registry; cancels the jobs of clusters that already ended. */
  start(): () => Promise<void> {
    this.disconnect = this.options.registry.changed.connect(change => {
      if (change.kind === 'cluster' && change.cluster.type === 'slurm') {
        this.check(change.cluster.id);
      }
    });
    for (const record of this.options.registry.list()) {
      if (record.model.type === 'slurm') {
        this.check(record.model.id);
      }
    }
    return () => this.stop();
  }

  /** Stop the timer and stop following the registry, once pending cancellations are done. */
  async stop(): Promise<void> {
    await Promise.all([...this.pending]);
    this.disconnect?.();
    this.disconnect = undefined;
    if (this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private check(id: string): void {
    const record = this.options.registry.get(id);
    if (record === undefined) {
      return;
    }
    if (ACTIVE_STATES.has(record.model.state)) {
      if (this.timer === undefined) {
        this.timer = setInterval(() => void this.poll(), this.options.intervalMs);
        this.timer.unref();
      }
    } else if ((record.jobIds?.length ?? 0) > 0 || record.model.jobs.length > 0) {
      // Not inside the registry's change notification: cancel on the next turn.
      const done = new Promise<void>(resolve => setImmediate(() => void this.cancel(id).finally(resolve)));
      this.pending.add(done);
      void done.then(() => this.pending.delete(done));
    }
  }

  private active(): IClusterRecord[] {
    return this.options.registry.list().filter(r => r.model.type === 'slurm' && ACTIVE_STATES.has(r.model.state));
  }

  /** One squeue pass over every active SLURM cluster. */
  async poll(): Promise<void> {
    const active = this.active();
    if (active.length === 0) {
      if (this.timer !== undefined) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
      return;
    }
    if (this.polling || active.every(r => r.model.jobs.length === 0)) {
      return;
    }
    this.polling = true;
    try {
      const queue = new Map((await this.options.commands.queue()).map(job => [job.id, job]));
      for (const record of active) {
        const jobs = mergeQueue(record.model.jobs, queue);
        const logs = { ...record.jobLogs };
        let newLogs = false;
        for (const job of record.model.jobs) {
          const queued = queue.get(job.id);
          if (queued !== undefined && logs[job.id] === undefined && (queued.stdout || queued.stderr)) {
            logs[job.id] = {
              ...(queued.stdout ? { stdout: queued.stdout } : {}),
              ...(queued.stderr ? { stderr: queued.stderr } : {})
            };
            newLogs = true;
          }
        }
        if (jobs !== record.model.jobs || newLogs) {
          this.options.registry.update(record.model.id, r => {
            r.model.jobs = mergeQueue(r.model.jobs, queue);
            r.jobLogs = logs;
          });
        }
      }
    } catch (error) {
      console.error(`squeue failed: ${String(error)}`);
    } finally {
      this.polling = false;
    }
  }

  /** Cancel every job of an ended cluster, then forget them. */
  private async cancel(id: string): Promise<void> {
    const record = this.options.registry.get(id);
    if (record === undefined || this.cancelling.has(id) || ACTIVE_STATES.has(record.model.state)) {
      return;
    }
    this.cancelling.add(id);
    try {
      const ids = [...new Set([...(record.jobIds ?? []), ...record.model.jobs.map(job => job.id)])];
      await this.options.commands.cancel(ids, jobNameOf(record));
      if (this.options.registry.get(id) !== undefined) {
        this.options.registry.update(id, r => {
          r.jobIds = [];
          r.model.jobs = [];
        });
      }
    } catch (error) {
      console.error(`scancel for cluster ${id} failed: ${String(error)}`);
    } finally {
      this.cancelling.delete(id);
    }
  }
}
