/**
 * SLURM time strings and the worker lifetime derived from a walltime. Pure.
 */

/**
 * Seconds in a SLURM time string ("MM", "MM:SS", "HH:MM:SS", "D-HH",
 * "D-HH:MM", "D-HH:MM:SS"); Infinity for "infinite"/"UNLIMITED"; undefined
 * when it is not a time.
 */
export function parseSlurmTime(text: string): number | undefined {
  const value = text.trim();
  if (/^(infinite|unlimited)$/i.test(value)) {
    return Infinity;
  }
  const withDays = /^(\d+)-(\d+)(?::(\d+))?(?::(\d+))?$/.exec(value);
  if (withDays) {
    const [, d, h, m, s] = withDays;
    return ((Number(d) * 24 + Number(h)) * 60 + Number(m ?? 0)) * 60 + Number(s ?? 0);
  }
  const parts = value.split(':');
  if (parts.length > 3 || parts.some(part => !/^\d+$/.test(part))) {
    return undefined;
  }
  const [a, b, c] = parts.map(Number);
  switch (parts.length) {
    case 1:
      return a * 60;
    case 2:
      return a * 60 + b;
    default:
      return (a * 60 + b) * 60 + c;
  }
}

/** `seconds` as HH:MM:SS (hours may exceed 24). */
export function formatSlurmTime(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(Math.floor(s / 3600))}:${two(Math.floor((s % 3600) / 60))}:${two(s % 60)}`;
}

/** A regular expression for the walltime field: what parseSlurmTime accepts (finite). */
export const WALLTIME_PATTERN = '^\\s*(\\d+-\\d+(:\\d+){0,2}|\\d+(:\\d+){0,2})\\s*$';

/**
 * Worker lifetime for jobs of `walltime` seconds: workers retire a margin
 * before SLURM kills their job, at staggered moments so that an adaptive
 * cluster replaces them one by one. The margin is a tenth of the walltime,
 * between 1 and 10 minutes (at most half the walltime); the stagger is half
 * the margin, so even the latest worker leaves half a margin early.
 */
export function workerLifetime(walltime: number): { lifetime: number; stagger: number } {
  const margin = Math.min(walltime / 2, Math.max(60, Math.min(600, walltime / 10)));
  return { lifetime: Math.floor(walltime - margin), stagger: Math.floor(margin / 2) };
}

/** `--lifetime` and `--lifetime-stagger` arguments of `dask worker` for `walltime` seconds. */
export function lifetimeArgs(walltime: number): string[] {
  const { lifetime, stagger } = workerLifetime(walltime);
  return ['--lifetime', `${lifetime}s`, '--lifetime-stagger', `${stagger}s`];
}
