/**
 * Shapes shared by the batch systems dask-jobqueue knows (PBS, LSF,
 * HTCondor, Grid Engine): a job as its status command shows it, and a queue
 * with its limits. A job row extends the protocol's `IJob`, so the rows
 * SLURM fills (`slurm/queries.ts`) can show any system's jobs; a queue
 * mirrors SLURM's `IPartition`, seconds and bytes, Infinity when unlimited.
 */

import type { IJob } from '../../../../protocol/index.js';

/**
 * Where a job is, whatever the system: waiting (held jobs too), running
 * (suspended jobs too), on its way out, gone. `unknown` is LSF's UNKWN: the
 * system lost contact with the job's host, so keep the last known phase.
 * A job absent from the output is `ended` everywhere (nothing asks for history).
 */
export type BatchJobPhase = 'pending' | 'running' | 'ending' | 'ended' | 'unknown';

/** A job as a batch system's status command shows it. */
export interface IBatchJob extends IJob {
  /** The id dask-jobqueue keeps: PBS `4711.pbs01` -> `4711`; HTCondor `4242.0`. */
  id: string;
  /** The system's own code, as its users know it: PBS `Q`, LSF `PEND`, HTCondor `I`, SGE `qw`. */
  state: string;
  phase: BatchJobPhase;
  /** Pending, and it will not start without someone acting (PBS H, LSF PSUSP, HTCondor Held, SGE h/E). */
  held?: boolean;
  /** Running, but not progressing (PBS S/U, LSF USUSP/SSUSP, HTCondor Suspended, SGE s/S/T). */
  suspended?: boolean;
  /** Why it waits, is held or failed, in the system's words. */
  reason?: string;
  /** The (first) host it runs on. */
  node?: string;
  /** ISO 8601: when it started running, where the output says. */
  startedAt?: string;
  /** ISO 8601: when a running job reaches its walltime, where the output says. */
  endsAt?: string;
  /** The queue it was submitted to (none for HTCondor). */
  queue?: string;
  /** The job name (`#PBS -N` ...), or HTCondor's batch name. */
  name?: string;
}

/** What a queue allows one job. Absent: the output does not say. */
export interface IQueueLimits {
  /** Longest walltime, seconds; Infinity when unlimited. */
  walltime?: number;
  /** The longest walltime as the system prints it, e.g. "24:00:00", "720.0 min", "INFINITY". */
  walltimeText?: string;
  /** The walltime a job gets when it asks for none, seconds. */
  defaultWalltime?: number;
  /** Most CPUs (PBS ncpus) a job may ask for. */
  cores?: number;
  /** Job slots of one queue instance, the largest (SGE `slots`). */
  slots?: number;
  /** Most memory a job may ask for, bytes; Infinity when unlimited. */
  memory?: number;
}

/** A queue of a batch system. */
export interface IQueue {
  name: string;
  /** Whether it takes and starts jobs, in the system's words ("Open:Active", "disabled" ...), when the output says. */
  state?: string;
  limits: IQueueLimits;
}

/** A system's state -> its phase, and whether the job is held or suspended. */
export type PhaseOf = [BatchJobPhase, ('held' | 'suspended')?];

/** What a job row may say beyond id, state and phase. */
export type BatchJobDetails = Partial<Pick<IBatchJob, 'reason' | 'node' | 'startedAt' | 'endsAt' | 'queue' | 'name'>>;
