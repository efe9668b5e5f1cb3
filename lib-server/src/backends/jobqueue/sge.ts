/**
 * Grid Engine (Sun lineage: SGE 6.2 to 8.1, Son of Grid Engine, OGS). Jobs
 * from `qstat -xml -u <user>`, the reason a job waits from the
 * "scheduling info:" of `qstat -j <ids>`, a queue's limits from
 * `qconf -sq <queue>`, how a job ended from `qacct -j <id>`. Pure.
 *
 * No XML library: `qstat -xml` (qstat.xsd) is flat, `<job_list state=...>`
 * elements of text-only children inside `<job_info>`, so it is read with
 * regular expressions and checked for its root; attributes of the root
 * (`xmlns:xsd` differs between distributions) are ignored.
 */

import { BatchOutputError, afterAt, batchJob, parseDuration, text } from './parse.js';
import type { IBatchJob, IQueue, PhaseOf } from './types.js';
import type { IEndedJob } from './watch.js';

/** The status command of the jobs of `user`; qstat takes no job ids, so filter on the id. */
export function sgeJobsCommand(user: string): string[] {
  return ['qstat', '-xml', '-u', user];
}

/** The command that says why jobs `ids` wait. */
export function sgeWhyCommand(ids: string[]): string[] {
  return ['qstat', '-j', ids.join(',')];
}

/** The configuration of cluster queue `name` (`qconf -sql` lists them). */
export function sgeQueueCommand(name: string): string[] {
  return ['qconf', '-sq', name];
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decode(value: string): string {
  return value.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name.startsWith('#')) {
      const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : Number(name.slice(1));
      return String.fromCodePoint(code);
    }
    return ENTITIES[name] ?? whole;
  });
}

/** Text children of one `<job_list>`: `<a>x</a>` and `<a/>` (empty). */
function children(body: string): Record<string, string> {
  const found: Record<string, string> = {};
  for (const match of body.matchAll(/<([A-Za-z_][\w.-]*)(?:\s[^>]*)?(?:\/>|>([^<]*)<\/\1\s*>)/g)) {
    found[match[1]] = decode(match[2] ?? '').trim();
  }
  return found;
}

/** SGE state letters (qstat(1)) -> phase, and whether held or suspended. */
function phaseOf(letters: string): PhaseOf {
  if (letters.includes('d')) {
    return ['ending'];
  }
  if (letters.includes('E') || letters.includes('h')) {
    return ['pending', 'held'];
  }
  if (/[sST]/.test(letters)) {
    return ['running', 'suspended'];
  }
  if (/[rt]/.test(letters)) {
    return ['running'];
  }
  return /[qw]/.test(letters) ? ['pending'] : ['unknown'];
}

/** An ISO date from SGE's `YYYY-MM-DDTHH:MM:SS`, the qmaster's local time. */
function localIso(value: string): string | undefined {
  const date = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/.test(value) ? new Date(value) : undefined;
  return date !== undefined && !Number.isNaN(date.getTime()) ? date.toISOString() : undefined;
}

function sgeJob(fields: Record<string, string>): IBatchJob {
  const state = fields.state ?? '';
  const phases = phaseOf(state);
  const where = fields.queue_name ?? '';
  const running = phases[0] === 'running';
  return batchJob(fields.JB_job_number ?? '', state, phases, {
    node: running ? afterAt(where) : undefined,
    startedAt: running ? localIso(fields.JAT_start_time ?? '') : undefined,
    queue: where.split('@')[0],
    name: fields.JB_name
  });
}

/**
 * Jobs of `qstat -xml`: running ones (`queue_info`) and pending ones (the
 * inner `job_info`), with their state letters (`r`, `qw`, `hqw`, `Eqw`,
 * `dr` ...), phase, the host of `queue@host`, and the start time. The
 * reasons come from `qstat -j` (parseQstatJ, then withReasons).
 */
export function parseQstatXml(output: string): IBatchJob[] {
  const command = 'qstat -xml';
  if (!/<job_info[\s>]/.test(output)) {
    throw new BatchOutputError(
      command,
      'it has no <job_info> element: is this the qstat of Grid Engine (PBS has one too, without -xml)?',
      output
    );
  }
  if (!/<\/job_info>\s*$/.test(output)) {
    throw new BatchOutputError(command, 'it ends before its closing </job_info>: the output was cut off', output);
  }
  const jobs = [...output.matchAll(/<job_list\b[^>]*>([\s\S]*?)<\/job_list>/g)].map(match => children(match[1]));
  return jobs.filter(fields => (fields.JB_job_number ?? '') !== '').map(sgeJob);
}

/** The lines of the `label:` entry of a `qstat -j` block: its first line and the indented ones after it. */
function entry(lines: string[], label: RegExp): string[] {
  const found: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const first = label.exec(lines[i]);
    if (!first) {
      continue;
    }
    found.push(lines[i].slice(first[0].length).trim());
    for (let j = i + 1; j < lines.length && /^\s+\S/.test(lines[j]); j++) {
      found.push(lines[j].trim());
    }
  }
  return found.filter(line => line !== '');
}

/**
 * Why each job of `qstat -j <ids>` waits: its "scheduling info:" lines
 * (and the "error reason" of a job in error), joined with "; ", by job
 * id. A job the scheduler says nothing of (`schedd_job_info` false,
 * "Collecting of scheduler job information is turned off") has none.
 */
export function parseQstatJ(output: string): Map<string, string> {
  const reasons = new Map<string, string>();
  const blocks = output.split(/^=+\s*$/m);
  if (!/^job_number:/m.test(output) && !/^Following jobs do not exist/m.test(output) && output.trim() !== '') {
    throw new BatchOutputError('qstat -j', 'it has no "job_number:" line, which starts each job', output);
  }
  for (const block of blocks) {
    const lines = block.split('\n');
    const id = /^job_number:\s*(\d+)/m.exec(block)?.[1];
    const said = [...entry(lines, /^error reason\s+\d+:/), ...entry(lines, /^scheduling info:/)].filter(
      line => !/^\(Collecting of scheduler job information is turned off\)$/.test(line)
    );
    if (id !== undefined && said.length > 0) {
      reasons.set(id, said.join('; '));
    }
  }
  return reasons;
}

/** Bytes in an SGE memory value (sge_types(1)): k/m/g/t are powers of 1000, K/M/G/T of 1024; INFINITY. */
export function parseSgeMemory(value: string): number | undefined {
  if (/^infinity$/i.test(value.trim())) {
    return Infinity;
  }
  const match = /^(\d+(?:\.\d+)?)([kKmMgGtT]?)$/.exec(value.trim());
  if (!match) {
    return undefined;
  }
  const [, amount, unit] = match;
  const power = ' kmgt'.indexOf((unit || ' ').toLowerCase());
  return Number(amount) * (unit === unit.toLowerCase() ? 1000 : 1024) ** power;
}

/** The `name value` lines of `qconf -sq` and `qacct -j` output, by name. */
function nameValues(output: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of output.split('\n')) {
    const match = /^(\w+)\s+(.*)$/.exec(line.trim());
    if (match) {
      values.set(match[1], match[2].trim());
    }
  }
  return values;
}

/**
 * One queue of `qconf -sq <queue>` (queue_conf(5)): `h_rt` as the longest
 * walltime (INFINITY: unlimited), the largest `slots` (`1,[node01=8]` -> 8),
 * `h_vmem` as memory.
 */
export function parseQconfSq(output: string): IQueue {
  const values = nameValues(output.replace(/\\\n\s*/g, ''));
  const name = text(values.get('qname'));
  if (name === '') {
    throw new BatchOutputError('qconf -sq', 'it has no "qname" line; `qconf -sql` lists the cluster queues', output);
  }
  const walltimeText = values.get('h_rt') ?? '';
  const walltime = parseDuration(walltimeText);
  const slotsText = values.get('slots') ?? '';
  // A default, then per-host values: "1,[node01.example.org=8]".
  const slots = [/^\d+/.exec(slotsText)?.[0], ...[...slotsText.matchAll(/=\s*(\d+)\s*\]/g)].map(m => m[1])]
    .filter((n): n is string => n !== undefined)
    .map(Number);
  const memory = parseSgeMemory(values.get('h_vmem') ?? '');
  return {
    name,
    limits: {
      ...(walltime !== undefined ? { walltime, walltimeText } : {}),
      ...(slots.length > 0 ? { slots: Math.max(...slots) } : {}),
      ...(memory !== undefined ? { memory } : {})
    }
  };
}

/** The accounting command of job `id` (one job a call: qacct -j takes one id, name or pattern). */
export function sgeAccountingCommand(id: string): string[] {
  return ['qacct', '-j', id];
}

/** What `qacct -j` says of how one job ended (accounting(5)). */
export interface ISgeAccounting {
  /** `failed`: 0, or the code of what Grid Engine did, e.g. 37. */
  failed: number;
  /** The words after the code, e.g. "qmaster enforced h_rt, h_cpu, or h_vmem limit". */
  failedText: string;
  /** The job script's exit status (128 + signal when killed). */
  exitStatus?: number;
}

/**
 * The last record of each job in `qacct -j` output: blocks of `name value`
 * lines after a line of `=`; a job run again (requeued) has several. An id
 * Grid Engine does not know ("error: job id N not found") has none.
 */
export function parseQacct(output: string): Map<string, ISgeAccounting> {
  const records = new Map<string, ISgeAccounting>();
  for (const block of output.split(/^=+\s*$/m)) {
    const values = nameValues(block);
    const id = values.get('jobnumber');
    const failed = /^(\d+)\s*(?::\s*(.*))?$/.exec(values.get('failed') ?? '');
    if (id === undefined || failed === null) {
      continue;
    }
    const exit = /^\d+/.exec(values.get('exit_status') ?? '')?.[0];
    records.set(id, {
      failed: Number(failed[1]),
      failedText: (failed[2] ?? '').trim(),
      ...(exit !== undefined ? { exitStatus: Number(exit) } : {})
    });
  }
  return records;
}

/** Signal numbers a killed worker's exit status carries (128 + n). */
const SIGNALS: Record<number, string> = { 9: 'SIGKILL', 15: 'SIGTERM' };

/**
 * A job's end as its row says it, from its accounting: why in words, then
 * qacct's own terms. Codes from sge_shepherd(8): 37 is a limit the qmaster
 * enforced; 100 after a signal is a job deleted (qdel) or killed.
 */
export function sgeEnd(accounting: ISgeAccounting): IEndedJob {
  const { failed, failedText, exitStatus } = accounting;
  const signal = exitStatus !== undefined && exitStatus > 128 ? exitStatus - 128 : undefined;
  const terms = [
    `qacct: failed ${failed}${failedText !== '' ? ` (${failedText})` : ''}`,
    ...(exitStatus !== undefined ? [`exit status ${exitStatus}`] : [])
  ].join(', ');
  if (failed === 37) {
    return { state: 'LIMIT', reason: `stopped by Grid Engine at its h_rt, h_cpu or h_vmem limit (${terms})` };
  }
  if (failed === 100 && signal !== undefined) {
    const name = SIGNALS[signal] ?? `signal ${signal}`;
    return { state: 'KILLED', reason: `deleted outside JupyterLab (qdel) or killed by ${name} (${terms})` };
  }
  if (failed === 0) {
    return exitStatus === 0 || exitStatus === undefined
      ? { state: 'ENDED', reason: `its worker exited (${terms})` }
      : { state: 'FAILED', reason: `its worker exited with status ${exitStatus} (${terms})` };
  }
  return { state: 'FAILED', reason: `Grid Engine could not run it to its end (${terms})` };
}
