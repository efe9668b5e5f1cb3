/**
 * PBS Professional / OpenPBS (18.1 and later: the releases whose `qstat`
 * knows `-F json`). Jobs from `qstat -f -F json <id>`, queues with their
 * limits from `qstat -Q -f -F json`. Pure: output text in, shapes out.
 *
 * The JSON keys carry full ids (`4711.pbs01`); dask-jobqueue keeps the
 * digits (`4711`), and so do these rows. Servers after 23.06 answer only
 * the first id of `qstat -f -F json 10 11` (openpbs#2672): ask one id per call.
 */

import { BatchOutputError, batchJob, numberOf, parseDuration, text } from './parse.js';
import type { IBatchJob, IQueue, PhaseOf } from './types.js';
import { isObject } from '../../util/objects.js';

/** The status command of job `id`; one id per call (openpbs#2672). */
export function pbsJobCommand(id: string): string[] {
  return ['qstat', '-f', '-F', 'json', id];
}

/** The queue command; a queue name after it limits it to that queue. */
export const PBS_QUEUES_COMMAND = ['qstat', '-Q', '-f', '-F', 'json'];

/** `job_state` letters (pbs_job_attributes(7B)) -> phase, and whether held or suspended. */
const STATES: Record<string, PhaseOf> = {
  Q: ['pending'],
  W: ['pending'],
  T: ['pending'],
  H: ['pending', 'held'],
  R: ['running'],
  B: ['running'],
  S: ['running', 'suspended'],
  U: ['running', 'suspended'],
  E: ['ending'],
  F: ['ended'],
  X: ['ended'],
  M: ['ended']
};

/** The id dask-jobqueue keeps: `4711.pbs01` -> `4711`, `4711[3].pbs01` -> `4711[3]`. */
export function pbsJobId(fullId: string): string {
  return fullId.split('.')[0] ?? fullId;
}

/**
 * Bytes in a PBS size (`27gb`, `28311552kb`, `8`, `1tb`, `100w`): PBS reads
 * k/m/g/t/p as powers of 1024, `w` as words of 8 bytes. Undefined otherwise.
 */
export function parsePbsSize(value: unknown): number | undefined {
  const match = /^(\d+)\s*([kmgtp]?)([bw]?)$/i.exec(text(value));
  if (!match) {
    return undefined;
  }
  const [, amount, prefix, unit] = match;
  const power = ' kmgtp'.indexOf((prefix || ' ').toLowerCase());
  return Number(amount) * 1024 ** power * (unit.toLowerCase() === 'w' ? 8 : 1);
}

/**
 * Mends the invalid JSON older PBS writers print for environment values
 * (openpbs#1255 `"foo":005`, PR #2049 `\'` and `\,`): leading-zero numbers
 * outside strings become strings, unknown escapes inside strings lose their
 * backslash. Used only when the output does not parse as it is.
 */
export function repairPbsJson(output: string): string {
  let result = '';
  let inString = false;
  for (let i = 0; i < output.length; i++) {
    const c = output[i];
    if (inString) {
      if (c === '\\') {
        const next = output[i + 1] ?? '';
        result += /["\\/bfnrtu]/.test(next) ? c + next : next;
        i++;
      } else {
        inString = c !== '"';
        result += c;
      }
      continue;
    }
    const number = /^-?0\d+(\.\d+)?/.exec(output.slice(i, i + 64));
    if (number && /[:[,]\s*$/.test(result)) {
      result += `"${number[0]}"`;
      i += number[0].length - 1;
      continue;
    }
    inString = c === '"';
    result += c;
  }
  return result;
}

function parsePbsJson(output: string, command: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(output);
  } catch (error) {
    try {
      json = JSON.parse(repairPbsJson(output));
    } catch {
      const why = error instanceof Error ? error.message : String(error);
      throw new BatchOutputError(
        command,
        `it is not JSON (${why}); \`-F json\` needs OpenPBS or PBS Professional 18.1 or later, ` +
          'and must not be combined with -u, -a or -n',
        output
      );
    }
  }
  if (!isObject(json) || !('pbs_version' in json || 'timestamp' in json)) {
    throw new BatchOutputError(
      command,
      'it is JSON without "pbs_version": is this the qstat of PBS (Torque and Grid Engine have one too)?',
      output
    );
  }
  return json;
}

/** The objects under `key` ("Jobs", "Queue") of PBS JSON; none when the key is absent. */
function section(
  json: Record<string, unknown>,
  output: string,
  command: string,
  key: string
): [string, Record<string, unknown>][] {
  const value = json[key] ?? {};
  if (!isObject(value)) {
    throw new BatchOutputError(command, `its "${key}" is not an object`, output);
  }
  return Object.entries(value).filter((entry): entry is [string, Record<string, unknown>] => isObject(entry[1]));
}

function pendingReason(state: string, attrs: Record<string, unknown>): string | undefined {
  const comment = text(attrs.comment);
  if (comment !== '') {
    return comment;
  }
  if (state === 'W') {
    return 'Waiting for its Execution_Time';
  }
  const holds = text(attrs.Hold_Types);
  return state === 'H' && holds !== '' ? `Held (Hold_Types ${holds})` : undefined;
}

/** The files a PBS job's output and error go to. */
export interface IPbsLogs {
  stdout?: string;
  stderr?: string;
}

/** A PBS job row, with its log files when qstat reports them. */
export interface IPbsJob extends IBatchJob {
  logs?: IPbsLogs;
}

/**
 * The file of an `Output_Path` / `Error_Path` value (`host:/path`): qsub
 * prefixes the submit host and ends a directory with `/` (prepare_path.c);
 * in a directory PBS names the file `<job ID><suffix>` (qsub(1B) -o, -e).
 * A relative path is relative to a home directory not known here: none.
 */
function pbsStreamFile(value: unknown, fullId: string, suffix: '.OU' | '.ER'): string | undefined {
  const file = text(value).replace(/^[\w.-]+:(?=\/)/, '');
  if (!file.startsWith('/')) {
    return undefined;
  }
  return file.endsWith('/') ? `${file}${fullId}${suffix}` : file;
}

/**
 * Where job `fullId` (`4711.pbs01`) writes its output and error, from its
 * `Output_Path`, `Error_Path` and `Join_Path` attributes: `oe` merges the
 * error into the output file, `eo` the output into the error file (which
 * qstat still shows apart). Undefined when qstat shows neither path.
 */
export function pbsLogs(fullId: string, attrs: Record<string, unknown>): IPbsLogs | undefined {
  const output = pbsStreamFile(attrs.Output_Path, fullId, '.OU');
  const error = pbsStreamFile(attrs.Error_Path, fullId, '.ER');
  const join = text(attrs.Join_Path);
  const stdout = join === 'eo' ? error : output;
  const stderr = join === 'oe' ? output : error;
  if (stdout === undefined && stderr === undefined) {
    return undefined;
  }
  return { ...(stdout !== undefined ? { stdout } : {}), ...(stderr !== undefined ? { stderr } : {}) };
}

function pbsJob(fullId: string, attrs: Record<string, unknown>, timestamp: number | undefined): IPbsJob {
  const state = text(attrs.job_state) || '?';
  const phases = STATES[state] ?? ['unknown'];
  const limits = isObject(attrs.Resource_List) ? attrs.Resource_List : {};
  const used = isObject(attrs.resources_used) ? attrs.resources_used : {};
  const limit = parseDuration(text(limits.walltime));
  const elapsed = parseDuration(text(used.walltime)) ?? 0;
  const start = phases[0] === 'running' && timestamp !== undefined ? timestamp - elapsed : undefined;
  const job: IPbsJob = batchJob(pbsJobId(fullId), state, phases, {
    reason: phases[0] === 'pending' ? pendingReason(state, attrs) : undefined,
    node: text(attrs.exec_host).split('+')[0].split('/')[0],
    startedAt: start !== undefined ? new Date(start * 1000).toISOString() : undefined,
    endsAt:
      start !== undefined && limit !== undefined && Number.isFinite(limit)
        ? new Date((start + limit) * 1000).toISOString()
        : undefined,
    queue: text(attrs.queue),
    name: text(attrs.Job_Name)
  });
  const logs = pbsLogs(fullId, attrs);
  return logs !== undefined ? { ...job, logs } : job;
}

/**
 * Jobs of `qstat -f -F json [-x] <id>...`: state letter, phase, the
 * scheduler's `comment` as the reason a job waits, the first host of
 * `exec_host`, and when a running job reaches its walltime (from the
 * output's `timestamp` and `resources_used.walltime`), and its log files
 * (pbsLogs). No job: none.
 */
export function parsePbsJobs(output: string): IPbsJob[] {
  const command = 'qstat -f -F json';
  const json = parsePbsJson(output, command);
  const timestamp = numberOf(json.timestamp);
  return section(json, output, command, 'Jobs').map(([id, attrs]) => pbsJob(id, attrs, timestamp));
}

function queueState(attrs: Record<string, unknown>): string {
  if (text(attrs.enabled).toLowerCase() === 'false') {
    return 'disabled';
  }
  return text(attrs.started).toLowerCase() === 'false' ? 'stopped' : 'enabled';
}

/**
 * Queues of `qstat -Q -f -F json`: `resources_max.walltime` (and the
 * default walltime), `resources_max.ncpus` and `resources_max.mem`, and
 * whether the queue is enabled (takes jobs) and started (runs them).
 */
export function parsePbsQueues(output: string): IQueue[] {
  const command = 'qstat -Q -f -F json';
  return section(parsePbsJson(output, command), output, command, 'Queue').map(([name, attrs]) => {
    const max = isObject(attrs.resources_max) ? attrs.resources_max : {};
    const defaults = isObject(attrs.resources_default) ? attrs.resources_default : {};
    const walltimeText = text(max.walltime);
    const walltime = parseDuration(walltimeText);
    const defaultWalltime = parseDuration(text(defaults.walltime));
    const cores = numberOf(max.ncpus);
    const memory = parsePbsSize(max.mem);
    return {
      name,
      state: queueState(attrs),
      limits: {
        ...(walltime !== undefined ? { walltime, walltimeText } : {}),
        ...(defaultWalltime !== undefined ? { defaultWalltime } : {}),
        ...(cores !== undefined ? { cores } : {}),
        ...(memory !== undefined ? { memory } : {})
      }
    };
  });
}
