/**
 * The batch job JupyterLab runs inside, when it does (a SLURM or PBS
 * allocation of one node, as on NCI Gadi): which one, and when its walltime
 * ends, read from the batch system. Local clusters there are sized from the
 * allocation (resources.ts) and end before it does.
 */

import { parsePbsJobs } from '../jobqueue/pbs.js';
import { parseSlurmTime } from '../slurm/walltime.js';

/** A batch job of one of the systems whose allocations local clusters live in. */
export interface IAllocation {
  system: 'SLURM' | 'PBS';
  jobId: string;
}

/** Runs a command and answers its stdout (jobqueue/run.ts `output`). */
export type CommandOutput = (command: string[]) => Promise<string>;

/** The job of `env` ($SLURM_JOB_ID, else $PBS_JOBID), or undefined outside one. */
export function allocationOf(env: Record<string, string | undefined>): IAllocation | undefined {
  const slurm = env.SLURM_JOB_ID?.trim();
  if (slurm) {
    return { system: 'SLURM', jobId: slurm };
  }
  const pbs = env.PBS_JOBID?.trim();
  return pbs ? { system: 'PBS', jobId: pbs } : undefined;
}

/** "SLURM job 1234". */
export function allocationName(allocation: IAllocation): string {
  return `${allocation.system} job ${allocation.jobId}`;
}

/**
 * When the job's walltime ends, asked of its batch system (`squeue -o %L`,
 * the time left; `qstat -f -F json`, its walltime and the time it has run);
 * undefined when it has no limit or cannot be read.
 */
export async function allocationEnd(
  allocation: IAllocation,
  run: CommandOutput,
  now: () => number = Date.now
): Promise<Date | undefined> {
  try {
    if (allocation.system === 'SLURM') {
      const left = parseSlurmTime(
        (await run(['squeue', '--noheader', '--jobs', allocation.jobId, '--format', '%L'])).trim()
      );
      return left !== undefined && Number.isFinite(left) ? new Date(now() + left * 1000) : undefined;
    }
    const [job] = parsePbsJobs(await run(['qstat', '-f', '-F', 'json', allocation.jobId]));
    return job?.endsAt === undefined ? undefined : new Date(job.endsAt);
  } catch {
    // Not readable here (the command missing, the job unknown to it): no end to keep to.
    return undefined;
  }
}

/**
 * When a cluster in a job ending at `end` stops: a minute before the job
 * ends (a quarter of the time left, when that is less), so that it closes
 * its workers itself instead of being killed with the job.
 */
export function clusterEnd(end: Date, now: number = Date.now()): Date {
  const margin = Math.min(60_000, Math.max(0, end.getTime() - now) / 4);
  return new Date(end.getTime() - margin);
}
