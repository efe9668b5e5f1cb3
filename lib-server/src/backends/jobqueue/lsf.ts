/**
 * IBM Spectrum LSF (10.1 Fix Pack 2 and later: `-json` with `-o`). Jobs
 * from `bjobs -o "<fields>" -json <id>...`, queues with their run limits
 * from the text of `bqueues -l` (the `bqueues -o` field name of the run
 * limit is not documented, so its JSON form is not used). Pure.
 *
 * Every field of a bjobs record is a string; `RUN_TIME` is "312 second(s)"
 * (or "00:05:12" with `-hms`), `RUNTIMELIMIT` minutes as "30.0" (or
 * "00:30:00"). Lines such as "Cannot connect to LSF. Please wait ..." may
 * come before the JSON: the object is read from the first `{` to the last `}`.
 */

import { BatchOutputError, batchJob, parseDuration, parseJson, text } from './parse.js';
import type { IBatchJob, IQueue, PhaseOf } from './types.js';
import { isObject } from '../../util/objects.js';

/** The `bjobs -o` fields these rows read. */
export const LSF_JOB_FIELDS = 'jobid stat queue job_name exec_host pend_reason run_time runtimelimit';

/** The status command of jobs `ids`. */
export function lsfJobsCommand(ids: string[]): string[] {
  return ['bjobs', '-o', LSF_JOB_FIELDS, '-json', ...ids];
}

/** The queue command of queues `names` (all queues when none). */
export function lsfQueuesCommand(names: string[] = []): string[] {
  return ['bqueues', '-l', ...names];
}

/** `STAT` values (IBM "LSF terms and concepts") -> phase, and whether held or suspended. */
const STATES: Record<string, PhaseOf> = {
  PEND: ['pending'],
  WAIT: ['pending'],
  PROV: ['pending'],
  PSUSP: ['pending', 'held'],
  RUN: ['running'],
  USUSP: ['running', 'suspended'],
  SSUSP: ['running', 'suspended'],
  ZOMBI: ['ending'],
  DONE: ['ended'],
  EXIT: ['ended'],
  POST_DONE: ['ended'],
  POST_ERR: ['ended'],
  UNKWN: ['unknown']
};

const BJOBS = 'bjobs -o ... -json';

function bjobsRecords(output: string): Record<string, unknown>[] {
  const start = output.indexOf('{');
  const end = output.lastIndexOf('}');
  if (start < 0 || end < start) {
    if (/no (unfinished )?job found/i.test(output)) {
      return [];
    }
    throw new BatchOutputError(
      BJOBS,
      'it holds no JSON object; `bjobs -json` needs LSF 10.1 Fix Pack 2 or later, and always comes with -o',
      output
    );
  }
  const json = parseJson(output.slice(start, end + 1), BJOBS, 'LSF prints one object with "RECORDS"');
  if (!isObject(json) || !Array.isArray(json.RECORDS)) {
    throw new BatchOutputError(BJOBS, 'it has no "RECORDS" list', output);
  }
  return json.RECORDS.filter(isObject);
}

/** Seconds of `RUN_TIME`: "312 second(s)", or "00:05:12" with -hms. */
function runSeconds(value: string): number | undefined {
  const seconds = /^(\d+) second/.exec(value);
  return seconds ? Number(seconds[1]) : value.includes(':') ? parseDuration(value) : undefined;
}

/** Seconds of `RUNTIMELIMIT`: minutes such as "30.0", or "00:30:00" with -hms. */
function limitSeconds(value: string): number | undefined {
  if (value.includes(':')) {
    return parseDuration(value);
  }
  return /^\d+(\.\d+)?$/.test(value) ? Number(value) * 60 : undefined;
}

function lsfJob(record: Record<string, unknown>, now: Date): IBatchJob {
  const state = text(record.STAT);
  const phases = STATES[state] ?? ['unknown'];
  // One entry a slot, "node042:node042", perhaps compressed as "2*node042".
  const node = text(record.EXEC_HOST)
    .split(':')[0]
    .replace(/^\d+\*/, '');
  const run = phases[0] === 'running' ? runSeconds(text(record.RUN_TIME)) : undefined;
  const limit = limitSeconds(text(record.RUNTIMELIMIT));
  const start = run !== undefined ? now.getTime() - run * 1000 : undefined;
  return batchJob(text(record.JOBID), state, phases, {
    reason: phases[0] === 'pending' ? text(record.PEND_REASON).replace(/;$/, '').trim() : undefined,
    node: node === '-' ? undefined : node,
    startedAt: start !== undefined ? new Date(start).toISOString() : undefined,
    endsAt: start !== undefined && limit !== undefined ? new Date(start + limit * 1000).toISOString() : undefined,
    queue: text(record.QUEUE),
    name: text(record.JOB_NAME)
  });
}

/**
 * Jobs of `bjobs -o "jobid stat queue exec_host pend_reason run_time
 * runtimelimit ..." -json`: `STAT`, its phase, `PEND_REASON` without its
 * trailing `;`, the first host of `EXEC_HOST`, and when a running job
 * reaches its run limit (relative to `now`: LSF prints durations, not
 * dates). Records of ids LSF does not know (an `ERROR` key, no `STAT`) are
 * left out: such a job has ended.
 */
export function parseBjobs(output: string, now: Date = new Date()): IBatchJob[] {
  return bjobsRecords(output)
    .filter(record => text(record.STAT) !== '' && text(record.JOBID) !== '')
    .map(record => lsfJob(record, now));
}

/** The lines of the section titled `title` ("MAXIMUM LIMITS:"): indented or blank lines after it. */
function sectionLines(lines: string[], title: string): string[] {
  const start = lines.findIndex(line => line.trim() === title);
  if (start < 0) {
    return [];
  }
  const rest = lines.slice(start + 1);
  const end = rest.findIndex(line => line.trim() !== '' && !/^\s/.test(line));
  return end < 0 ? rest : rest.slice(0, end);
}

/** The `RUNLIMIT` of a limits section: the "<minutes> min" below its column. */
function runLimit(lines: string[]): { seconds: number; text: string } | undefined {
  const header = lines.findIndex(line => /\bRUNLIMIT\b/.test(line));
  if (header < 0 || header + 1 >= lines.length) {
    return undefined;
  }
  const column = lines[header].indexOf('RUNLIMIT');
  const values = [...lines[header + 1].matchAll(/(\d+(?:\.\d+)?) min\b/g)];
  const nearest = values.sort((a, b) => Math.abs(a.index - column) - Math.abs(b.index - column))[0];
  return nearest ? { seconds: Number(nearest[1]) * 60, text: nearest[0] } : undefined;
}

/** The STATUS column ("Open:Active") of the row below the `PRIO NICE STATUS ...` header. */
function queueStatus(lines: string[]): string | undefined {
  const header = lines.findIndex(line => /^\s*PRIO\s+NICE\s+STATUS\b/.test(line));
  const row = lines.slice(header + 1).find(line => line.trim() !== '');
  if (header < 0 || row === undefined) {
    return undefined;
  }
  const index = lines[header].trim().split(/\s+/).indexOf('STATUS');
  return row.trim().split(/\s+/)[index];
}

/**
 * Queues of `bqueues -l`: the `STATUS` column, and the `RUNLIMIT` of its
 * `MAXIMUM LIMITS:` (longest walltime) and `DEFAULT LIMITS:` sections.
 */
export function parseBqueuesLong(output: string): IQueue[] {
  const blocks = output.split(/^QUEUE:[ \t]*/m).slice(1);
  if (blocks.length === 0) {
    throw new BatchOutputError('bqueues -l', 'it has no "QUEUE: <name>" line, which starts each queue', output);
  }
  return blocks.map(block => {
    const lines = block.split('\n');
    const max = runLimit(sectionLines(lines, 'MAXIMUM LIMITS:'));
    const byDefault = runLimit(sectionLines(lines, 'DEFAULT LIMITS:'));
    const state = queueStatus(lines);
    return {
      name: lines[0].trim(),
      ...(state !== undefined ? { state } : {}),
      limits: {
        ...(max !== undefined ? { walltime: max.seconds, walltimeText: max.text } : {}),
        ...(byDefault !== undefined ? { defaultWalltime: byDefault.seconds } : {})
      }
    };
  });
}
