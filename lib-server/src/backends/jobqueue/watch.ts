/**
 * Job visibility and cleanup for the clusters of a batch-system type (any
 * system whose status command gives IBatchJob rows): while one is active,
 * the status command runs on a slow timer and each job's state, reason, host
 * and end time go into the registry (hence onto the event stream). When a
 * cluster ends in any way (stop, runner killed, companion restarted), every
 * job its runner reported, and every job whose name ends with its id, is
 * cancelled. A job of a running cluster that leaves the queue without the
 * runner dropping it (walltime, cancelled outside JupyterLab, node failure)
 * gets its final state and why from the system's accounting, when the type
 * can ask, and the item a note of what became of it.
 */

import type { IClusterModel, IJob } from '../../../../protocol/index.js';
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
  /** How jobs `ids` that left the queue ended; an id it does not answer for ended untold. */
  endedOf?(ids: string[]): Promise<Map<string, IEndedJob>>;
}

/** How a job ended, from the batch system's accounting. */
export interface IEndedJob {
  /** The system's final state, e.g. SLURM's TIMEOUT. */
  state: string;
  /** Why, in words, e.g. "walltime reached (TIMEOUT)". */
  reason: string;
}

/** The end of a job the batch system says nothing about. */
export const UNTOLD_END: IEndedJob = {
  state: 'ENDED',
  reason: 'left the queue; the batch system does not say why'
};

/**
 * Polls a job must be missing before it counts as ended: when dask-jobqueue
 * itself cancels a job (scaling down), the runner drops it within half a
 * second, so a single miss may be that and not an end.
 */
const MISSES_TO_END = 2;

/** At most this many job ids in a sentence of the note. */
const IDS_IN_NOTE = 5;

/** "Job 12" or "Jobs 12, 13 and 4 more". */
function jobsPhrase(ids: string[]): string {
  const shown = ids.slice(0, IDS_IN_NOTE).join(', ');
  const more = ids.length > IDS_IN_NOTE ? ` and ${ids.length - IDS_IN_NOTE} more` : '';
  return `${ids.length === 1 ? 'Job' : 'Jobs'} ${shown}${more}`;
}

/**
 * What the item says of the jobs that ended under a live cluster, grouped by
 * reason, and what dask-jobqueue does next (checked with a real SLURM: a
 * fixed-size cluster drops the job 15 s later, distributed's
 * lost-worker-timeout, and submits none until it is scaled again; an
 * adaptive one submits a replacement when it next adapts).
 */
export function endedNote(ended: Map<string, string[]>, scaling: IClusterModel['scaling']): string {
  const sentences = [...ended].map(([reason, ids]) => `${jobsPhrase(ids)} ended: ${reason}.`);
  const count = [...ended.values()].reduce((sum, ids) => sum + ids.length, 0);
  const next =
    scaling.mode === 'fixed'
      ? `dask-jobqueue does not replace ${count === 1 ? 'it' : 'them'}: scale the cluster (even to the same number of workers) to submit new jobs.`
      : 'Adaptive scaling submits replacement jobs when it next adapts.';
  return [...sentences, next].join(' ');
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
  /** Clusters whose jobs could not be cancelled: their item says so, and no registry change retries it in a loop. */
  private readonly notCancelled = new Set<string>();
  private readonly pending = new Set<Promise<void>>();
  private disconnect: (() => void) | undefined;
  /** Consecutive polls each job of a running cluster was missing from the queue. */
  private readonly misses = new Map<string, number>();
  /** Jobs already given their end. */
  private readonly ended = new Set<string>();
  /** Per cluster: the note it had before this watcher (a previous companion's), and reason -> ended job ids. */
  private readonly notes = new Map<string, { before?: string; ended: Map<string, string[]> }>();

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
      // A job listed as ended (SLURM's squeue --json, PBS -x, LSF DONE) has left the queue as much as an absent one.
      const listed = await this.options.jobs();
      const queue = new Map(listed.filter(job => job.phase !== 'ended').map(job => [job.id, job]));
      const finals = new Map(listed.filter(job => job.phase === 'ended').map(job => [job.id, job]));
      for (const record of active) {
        this.merge(record, queue);
      }
      await this.judge(this.active(), queue, finals);
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

  /**
   * Give the jobs of running clusters that left the queue their end: the
   * system's word through `endedOf`, else "ENDED" untold. A stopping
   * cluster's jobs are its runner's doing, so they are not judged.
   */
  private async judge(active: IClusterRecord[], queue: Map<string, J>, finals: Map<string, J>): Promise<void> {
    const gone: string[] = [];
    for (const record of active.filter(r => r.model.state === 'running')) {
      for (const job of record.model.jobs) {
        if (queue.has(job.id)) {
          // Listed again (a requeued job): it may end once more.
          this.misses.delete(job.id);
          this.ended.delete(job.id);
        } else if (!this.ended.has(job.id)) {
          const misses = (this.misses.get(job.id) ?? 0) + 1;
          this.misses.set(job.id, misses);
          if (misses >= MISSES_TO_END) {
            gone.push(job.id);
          }
        }
      }
    }
    if (gone.length === 0) {
      return;
    }
    const told = new Map(
      await (this.options.endedOf?.(gone) ?? Promise.resolve(new Map<string, IEndedJob>())).catch((error: unknown) => {
        console.error(`${this.options.type} job accounting failed: ${String(error)}`);
        return new Map<string, IEndedJob>();
      })
    );
    for (const id of gone) {
      this.misses.delete(id);
      this.ended.add(id);
      const final = finals.get(id);
      if (!told.has(id) && final !== undefined) {
        told.set(id, {
          state: final.state,
          reason: final.reason ?? `ended (${final.state}); the batch system does not say why`
        });
      }
    }
    for (const record of this.active().filter(r => r.model.state === 'running')) {
      const mine = record.model.jobs.filter(job => gone.includes(job.id));
      if (mine.length > 0) {
        this.options.registry.update(record.model.id, r => this.end(r, mine, told));
      }
    }
  }

  /** `jobs` of `record` ended as `told` says; the note says so. */
  private end(record: IClusterRecord, jobs: IJob[], told: Map<string, IEndedJob>): void {
    const { model } = record;
    const note = this.notes.get(model.id) ?? { before: model.jobsNote, ended: new Map<string, string[]>() };
    this.notes.set(model.id, note);
    const rows = new Map<string, IJob>();
    for (const job of jobs) {
      const end = told.get(job.id) ?? UNTOLD_END;
      if (job.state === end.state && job.reason === end.reason) {
        // Told already, by a previous companion: its note says it.
        continue;
      }
      // No node: it runs nowhere now, and the row's reason-or-node column then says why it ended.
      rows.set(job.id, { id: job.id, state: end.state, reason: end.reason });
      note.ended.set(end.reason, [...(note.ended.get(end.reason) ?? []), job.id]);
    }
    if (rows.size === 0) {
      return;
    }
    model.jobs = model.jobs.map(job => rows.get(job.id) ?? job);
    model.jobsNote = [note.before, endedNote(note.ended, model.scaling)].filter(part => part !== undefined).join(' ');
  }

  /** Cancel every job of an ended cluster (reported, listed, or named after it), then forget them. */
  private async cancel(id: string): Promise<void> {
    const record = this.options.registry.get(id);
    if (
      record === undefined ||
      this.cancelling.has(id) ||
      this.notCancelled.has(id) ||
      ACTIVE_STATES.has(record.model.state)
    ) {
      return;
    }
    this.cancelling.add(id);
    this.notes.delete(id);
    try {
      const named = (await this.options.jobs().catch(() => [])).filter(job => job.name?.endsWith(`-${id}`));
      const ids = [
        ...new Set([...(record.jobIds ?? []), ...record.model.jobs.map(job => job.id), ...named.map(job => job.id)])
      ];
      await this.options.cancel(ids, record);
      for (const job of ids) {
        this.misses.delete(job);
        this.ended.delete(job);
      }
      if (this.options.registry.get(id) !== undefined) {
        this.options.registry.update(id, r => {
          r.jobIds = [];
          r.model.jobs = [];
          // What became of jobs while it ran; its end reason now says why it ended.
          delete r.model.jobsNote;
          if (ids.length > 0 && r.model.state !== 'stopped') {
            // A failed or lost item says what became of its jobs.
            r.model.endReason = jobsNote(r.model.endReason, `Its batch jobs (${ids.join(', ')}) were cancelled.`);
          }
        });
      }
    } catch (error) {
      console.error(`cancelling the ${this.options.type} jobs of cluster ${id} failed: ${String(error)}`);
      this.notCancelled.add(id);
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
