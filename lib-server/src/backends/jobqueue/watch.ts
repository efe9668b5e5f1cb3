/**
 * Job visibility and cleanup for the clusters of a batch-system type (any
 * system whose status command gives IBatchJob rows): while one is active,
 * the status command runs on a slow timer and each job's state, reason, host
 * and end time go into the registry (hence onto the event stream). When a
 * cluster ends in any way (stop, runner killed, companion restarted), every
 * job its runner reported, and every job whose name ends with its id, is
 * cancelled.
 */

import type { IJob } from '../../../../protocol/index.js';
import { ACTIVE_STATES, type IClusterRecord, type Registry } from '../../clusters/registry.js';
import type { IBatchJob } from './types.js';

/** What the watcher runs, and what it asks of the type. */
export interface IBatchWatchOptions<J extends IBatchJob = IBatchJob> {
  /** The cluster type whose clusters it follows. */
  type: string;
  registry: Registry;
  /** The jobs of this user, as the status command shows them. */
  jobs(): Promise<J[]>;
  /** Cancel jobs `ids` of the ended cluster `record`. */
  cancel(ids: string[], record: IClusterRecord): Promise<void>;
  /** Between two status calls. */
  intervalMs: number;
  /** The walltime of the jobs of `record`, seconds (for the end time of running jobs). */
  walltimeOf?(record: IClusterRecord): number | undefined;
  /** The output and error files of `job` of `record`. */
  logsOf?(record: IClusterRecord, job: J): { stdout?: string; stderr?: string } | undefined;
}

/** The row of `job` in a cluster model. */
export function jobRow(job: IBatchJob, walltime: number | undefined): IJob {
  const started = job.startedAt !== undefined ? Date.parse(job.startedAt) : NaN;
  const endsAt =
    job.endsAt ??
    (walltime !== undefined && Number.isFinite(walltime) && !Number.isNaN(started)
      ? new Date(started + walltime * 1000).toISOString()
      : undefined);
  return {
    id: job.id,
    state: job.state,
    ...(job.reason !== undefined ? { reason: job.reason } : {}),
    ...(job.node !== undefined ? { node: job.node } : {}),
    ...(endsAt !== undefined ? { endsAt } : {})
  };
}

/** `note` after the end reason there is, once. */
function jobsNote(reason: string | undefined, note: string): string {
  return reason === undefined ? note : reason.includes(note) ? reason : `${reason} ${note}`;
}

/** Watches the jobs of every cluster of one type in the registry. */
export class BatchJobWatcher<J extends IBatchJob = IBatchJob> {
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private readonly cancelling = new Set<string>();
  private readonly pending = new Set<Promise<void>>();
  private disconnect: (() => void) | undefined;

  constructor(private readonly options: IBatchWatchOptions<J>) {}

  /** Start following the registry; cancels the jobs of clusters that already ended. */
  start(): () => Promise<void> {
    const { registry, type } = this.options;
    this.disconnect = registry.changed.connect(change => {
      if (change.kind === 'cluster' && change.cluster.type === type) {
        this.check(change.cluster.id);
      }
    });
    for (const record of registry.list().filter(r => r.model.type === type)) {
      this.check(record.model.id);
    }
    return () => this.stop();
  }

  /** Stop the timer and stop following the registry, once pending cancellations are done. */
  async stop(): Promise<void> {
    await Promise.all([...this.pending]);
    this.disconnect?.();
    this.disconnect = undefined;
    this.stopTimer();
  }

  private stopTimer(): void {
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
    return this.options.registry
      .list()
      .filter(r => r.model.type === this.options.type && ACTIVE_STATES.has(r.model.state));
  }

  /** One status pass over every active cluster of the type. */
  async poll(): Promise<void> {
    const active = this.active();
    if (active.length === 0) {
      this.stopTimer();
      return;
    }
    if (this.polling || active.every(r => r.model.jobs.length === 0)) {
      return;
    }
    this.polling = true;
    try {
      const queue = new Map((await this.options.jobs()).map(job => [job.id, job]));
      for (const record of active) {
        this.merge(record, queue);
      }
    } catch (error) {
      console.error(`${this.options.type} job status failed: ${String(error)}`);
    } finally {
      this.polling = false;
    }
  }

  /** What the status command says about the jobs of `record`, into the registry when it changed. */
  private merge(record: IClusterRecord, queue: Map<string, J>): void {
    const walltime = this.options.walltimeOf?.(record);
    const rows = record.model.jobs.map(job => {
      const queued = queue.get(job.id);
      return queued === undefined ? job : jobRow(queued, walltime);
    });
    const logs = { ...record.jobLogs };
    for (const job of record.model.jobs) {
      const queued = queue.get(job.id);
      const files = queued !== undefined ? this.options.logsOf?.(record, queued) : undefined;
      if (files !== undefined && logs[job.id] === undefined) {
        logs[job.id] = files;
      }
    }
    const changed =
      JSON.stringify(rows) !== JSON.stringify(record.model.jobs) ||
      JSON.stringify(logs) !== JSON.stringify(record.jobLogs ?? {});
    if (changed) {
      this.options.registry.update(record.model.id, r => {
        const byId = new Map(rows.map(row => [row.id, row]));
        r.model.jobs = r.model.jobs.map(job => byId.get(job.id) ?? job);
        r.jobLogs = { ...r.jobLogs, ...logs };
      });
    }
  }

  /** Cancel every job of an ended cluster (reported, listed, or named after it), then forget them. */
  private async cancel(id: string): Promise<void> {
    const record = this.options.registry.get(id);
    if (record === undefined || this.cancelling.has(id) || ACTIVE_STATES.has(record.model.state)) {
      return;
    }
    this.cancelling.add(id);
    try {
      const named = (await this.options.jobs().catch(() => [])).filter(job => job.name?.endsWith(`-${id}`));
      const ids = [
        ...new Set([...(record.jobIds ?? []), ...record.model.jobs.map(job => job.id), ...named.map(job => job.id)])
      ];
      await this.options.cancel(ids, record);
      if (this.options.registry.get(id) !== undefined) {
        this.options.registry.update(id, r => {
          r.jobIds = [];
          r.model.jobs = [];
          if (ids.length > 0 && r.model.state !== 'stopped') {
            // A failed or lost item says what became of its jobs.
            r.model.endReason = jobsNote(r.model.endReason, `Its batch jobs (${ids.join(', ')}) were cancelled.`);
          }
        });
      }
    } catch (error) {
      console.error(`cancelling the ${this.options.type} jobs of cluster ${id} failed: ${String(error)}`);
      if (this.options.registry.get(id) !== undefined) {
        this.options.registry.update(id, r => {
          r.model.endReason = jobsNote(
            r.model.endReason,
            `Cancelling its batch jobs failed (${String(error)}); check the queue and cancel them yourself.`
          );
        });
      }
    } finally {
      this.cancelling.delete(id);
    }
  }
}
