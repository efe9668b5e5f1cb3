import type { IJob } from '../../protocol';

/**
 * Seconds from `now` (ms since the epoch) to an ISO 8601 end time, rounded up; never negative.
 */
export function secondsLeft(endsAt: string | undefined, now: number): number | undefined {
  if (!endsAt) {
    return undefined;
  }
  const end = Date.parse(endsAt);
  if (Number.isNaN(end)) {
    return undefined;
  }
  // Up to the next second, as a countdown reads: 0:00 only once it is over.
  return Math.max(0, Math.ceil((end - now) / 1000));
}

/**
 * A duration as a clock reads it: `9:05`, `1:02:03`, `2-03:00:00` for days (SLURM's own form).
 */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const days = Math.floor(s / 86400);
  const hours = Math.floor((s % 86400) / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const secs = s % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  if (days > 0) {
    return `${days}-${two(hours)}:${two(minutes)}:${two(secs)}`;
  }
  if (hours > 0) {
    return `${hours}:${two(minutes)}:${two(secs)}`;
  }
  return `${minutes}:${two(secs)}`;
}

/**
 * When the cluster's first running job reaches its walltime, i.e. when it starts losing workers.
 */
export function clusterEndsAt(jobs: ReadonlyArray<IJob>): string | undefined {
  let first: string | undefined;
  let firstTime = Infinity;
  for (const job of jobs) {
    const time = job.endsAt ? Date.parse(job.endsAt) : NaN;
    if (!Number.isNaN(time) && time < firstTime) {
      firstTime = time;
      first = job.endsAt;
    }
  }
  return first;
}
