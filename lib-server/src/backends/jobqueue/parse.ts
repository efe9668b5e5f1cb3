/**
 * Helpers every batch-system parser uses: durations, JSON output, and the
 * error that says which command printed what it could not read. Pure.
 */

import type { BatchJobDetails, IBatchJob, PhaseOf } from './types.js';

/** Output of a status command that cannot be read; the message says what to check. */
export class BatchOutputError extends Error {
  constructor(
    /** The command line, e.g. `qstat -f -F json`. */
    readonly command: string,
    /** What is wrong and what to check, e.g. "it is not JSON (...)". */
    problem: string,
    /** The output, of which the message quotes the beginning. */
    readonly output: string
  ) {
    super(`Cannot read the output of \`${command}\`: ${problem}. It printed: ${excerpt(output)}`);
    this.name = 'BatchOutputError';
  }
}

/** The beginning of `output`, on one line, for a message. */
export function excerpt(output: string, length = 160): string {
  const flat = output.trim().replace(/\s+/g, ' ');
  if (flat === '') {
    return '(nothing)';
  }
  return flat.length > length ? `"${flat.slice(0, length)}…"` : `"${flat}"`;
}

/** A string or number as text; anything else as "". */
export function text(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value).trim() : '';
}

/** A finite number from a JSON number or numeric string, else undefined. */
export function numberOf(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** `output` parsed as JSON, or a BatchOutputError naming `command` and what to check (`hint`). */
export function parseJson(output: string, command: string, hint: string): unknown {
  try {
    return JSON.parse(output);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new BatchOutputError(command, `it is not JSON (${why}); ${hint}`, output);
  }
}

/** How a duration of two parts reads: PBS and SGE `MM:SS`, LSF `HH:MM`. */
export type TwoParts = 'minutes:seconds' | 'hours:minutes';

const UNLIMITED = /^(infinity|infinite|unlimited|none)$/i;

/**
 * Seconds in a walltime: `[[HH:]MM:]SS` (fractions of a second allowed, as
 * PBS writes them), a number of seconds, or `INFINITY`/`unlimited`/`infinite`
 * (Infinity). `twoParts` says whether `10:00` is ten minutes (PBS, SGE) or
 * ten hours (LSF's `bsub -W`). Undefined when it is not a duration.
 */
export function parseDuration(value: string | number, twoParts: TwoParts = 'minutes:seconds'): number | undefined {
  if (typeof value === 'number') {
    return Number.isFinite(value) && value >= 0 ? value : undefined;
  }
  const trimmed = value.trim();
  if (UNLIMITED.test(trimmed)) {
    return Infinity;
  }
  const parts = trimmed.split(':');
  const last = parts.length - 1;
  if (parts.length > 3 || parts.some((part, i) => !(i === last ? /^\d+(\.\d+)?$/ : /^\d+$/).test(part))) {
    return undefined;
  }
  const [a, b, c] = parts.map(Number);
  if (parts.length === 1) {
    return a;
  }
  if (parts.length === 2) {
    return twoParts === 'hours:minutes' ? (a * 60 + b) * 60 : a * 60 + b;
  }
  return (a * 60 + b) * 60 + c;
}

/** `epochSeconds` as ISO 8601, or undefined when it is not a positive number. */
export function isoFromEpoch(epochSeconds: number | undefined): string | undefined {
  return epochSeconds !== undefined && epochSeconds > 0 ? new Date(epochSeconds * 1000).toISOString() : undefined;
}

/** What follows the last `@` (`slot1_3@exec07` -> `exec07`, `all.q@node01` -> `node01`), if anything. */
export function afterAt(name: string): string | undefined {
  const at = name.lastIndexOf('@');
  const host = at < 0 ? '' : name.slice(at + 1).trim();
  return host === '' ? undefined : host;
}

/**
 * `jobs` with the reasons a second command gave (SGE `qstat -j`, HTCondor
 * `condor_q -better-analyze`), by job id, for pending jobs that have none.
 */
export function withReasons(jobs: IBatchJob[], reasons: Map<string, string>): IBatchJob[] {
  return jobs.map(job => {
    const reason = reasons.get(job.id);
    return reason !== undefined && job.reason === undefined && job.phase === 'pending' ? { ...job, reason } : job;
  });
}

/** A job row: id, state, phase (and held/suspended), and the `details` that say something (not undefined or ""). */
export function batchJob(id: string, state: string, [phase, flag]: PhaseOf, details: BatchJobDetails): IBatchJob {
  const job: IBatchJob = { id, state, phase, ...(flag ? { [flag]: true } : {}) };
  for (const [key, value] of Object.entries(details) as [keyof BatchJobDetails, string | undefined][]) {
    if (value !== undefined && value !== '') {
      job[key] = value;
    }
  }
  return job;
}
