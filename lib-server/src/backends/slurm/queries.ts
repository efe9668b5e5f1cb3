/**
 * What the SLURM commands say: partitions (`sinfo`), jobs (`squeue --json`),
 * how jobs ended (`squeue --states=all`, `sacct`), and cancelling (`scancel`). Parsers are pure; the runners at the bottom
 * are the only side effects.
 */

import { execa } from 'execa';
import type { IJob } from '../../../../protocol/index.js';
import { parseSlurmTime } from './walltime.js';
import { isObject } from '../../util/objects.js';

/** A partition with what its largest node offers. */
export interface IPartition {
  name: string;
  isDefault: boolean;
  /** "up", "down", "drain", "inactive". */
  state: string;
  /** Seconds; Infinity when unlimited. */
  maxTime: number;
  /** As sinfo prints it, e.g. "5:00" or "infinite". */
  maxTimeText: string;
  /** CPUs and memory (bytes) of its largest node. */
  cpusPerNode: number;
  memoryPerNode: number;
  nodes: number;
  /** Node states, e.g. ["idle"], ["mixed", "down"]. */
  nodeStates: string[];
}

function text(value: unknown): string {
  if (Array.isArray(value)) {
    return value.map(String).join(',');
  }
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
}

/**
 * Partitions from `sinfo --noheader --format=%P|%l|%a` (name with `*` for
 * the default, time limit, availability) and the nodes of `sinfo --json`.
 */
export function parsePartitions(summary: string, nodesJson: unknown): IPartition[] {
  const nodes = isObject(nodesJson) && Array.isArray(nodesJson.nodes) ? nodesJson.nodes.filter(isObject) : [];
  const partitions: IPartition[] = [];
  for (const line of summary.split('\n')) {
    const [rawName, limit, avail] = line.trim().split('|');
    if (!rawName || limit === undefined) {
      continue;
    }
    const name = rawName.replace(/\*$/, '');
    const members = nodes.filter(node => Array.isArray(node.partitions) && node.partitions.includes(name));
    const states = [...new Set(members.map(node => text(node.state).toLowerCase()).filter(s => s !== ''))];
    partitions.push({
      name,
      isDefault: rawName.endsWith('*'),
      state: (avail ?? 'up').toLowerCase(),
      maxTime: parseSlurmTime(limit) ?? Infinity,
      maxTimeText: limit,
      cpusPerNode: Math.max(0, ...members.map(node => Number(node.cpus) || 0)),
      memoryPerNode: Math.max(0, ...members.map(node => (Number(node.real_memory) || 0) * 2 ** 20)),
      nodes: members.length,
      nodeStates: states
    });
  }
  return partitions;
}

/** Why jobs cannot run in `partition` now, or undefined when they can. */
export function partitionProblem(partition: IPartition): string | undefined {
  if (partition.state !== 'up') {
    return `Partition ${partition.name} is ${partition.state}`;
  }
  const usable = partition.nodeStates.filter(
    state => !/^(down|drain|drained|draining|fail|failing|future|unknown)/.test(state)
  );
  if (partition.nodes > 0 && usable.length === 0) {
    return `Every node of partition ${partition.name} is ${partition.nodeStates.join('/')}`;
  }
  return undefined;
}

/** A job as `squeue --json` shows it, with where its output goes. */
export interface IQueuedJob extends IJob {
  name: string;
  stdout?: string;
  stderr?: string;
}

function expandPath(pattern: string, job: Record<string, unknown>): string {
  return pattern.replace(/%j/g, text(job.job_id)).replace(/%J/g, text(job.job_id)).replace(/%x/g, text(job.name));
}

/** Jobs of `squeue --json`. */
export function parseSqueue(json: unknown): IQueuedJob[] {
  const jobs = isObject(json) && Array.isArray(json.jobs) ? json.jobs.filter(isObject) : [];
  return jobs.map(job => {
    const state = text(job.job_state) || 'UNKNOWN';
    const reason = text(job.state_reason);
    const node = text(job.nodes);
    const end = Number(job.end_time);
    const stdout = text(job.standard_output);
    const stderr = text(job.standard_error);
    return {
      id: text(job.job_id),
      name: text(job.name),
      state,
      ...(reason && reason !== 'None' ? { reason } : {}),
      ...(node ? { node } : {}),
      ...(state === 'RUNNING' && end > 0 ? { endsAt: new Date(end * 1000).toISOString() } : {}),
      ...(stdout ? { stdout: expandPath(stdout, job) } : {}),
      ...(stderr ? { stderr: expandPath(stderr, job) } : {})
    };
  });
}

/** A job's end as slurmctld or the accounting database records it. */
export interface ISlurmEnd {
  /** e.g. TIMEOUT, or sacct's "CANCELLED by 1000". */
  state: string;
  /** SLURM's reason, when it gives one (not "None"). */
  reason?: string;
  /** sacct's "exit:signal", e.g. "1:0". */
  exitCode?: string;
}

/** States of a job that has not ended yet. */
const LIVE_STATES = /^(PENDING|RUNNING|SUSPENDED|COMPLETING|CONFIGURING|REQUEUE|RESIZING|SIGNALING|STAGE_OUT|STOPPED)/;

/** Whether `state` is a final one (squeue --json of 22.05 lists ended jobs too, for MinJobAge). */
export function slurmEnded(state: string): boolean {
  return state !== '' && !LIVE_STATES.test(state);
}

/** Ended jobs of `squeue --json --states=all` (slurmctld keeps them MinJobAge, 300 s by default). */
export function parseEndedSqueue(json: unknown): Map<string, ISlurmEnd> {
  const jobs = isObject(json) && Array.isArray(json.jobs) ? json.jobs.filter(isObject) : [];
  const ends = new Map<string, ISlurmEnd>();
  for (const job of jobs) {
    const state = text(job.job_state);
    const reason = text(job.state_reason);
    if (slurmEnded(state)) {
      ends.set(text(job.job_id), { state, ...(reason && reason !== 'None' ? { reason } : {}) });
    }
  }
  return ends;
}

/** Ended jobs of `sacct -X -n -P -o JobID,State,Reason,ExitCode`. */
export function parseEndedSacct(output: string): Map<string, ISlurmEnd> {
  const ends = new Map<string, ISlurmEnd>();
  for (const line of output.split('\n')) {
    const [id, state, reason, exitCode] = line.trim().split('|');
    if (id && state !== undefined && slurmEnded(state)) {
      ends.set(id, {
        state,
        ...(reason && reason !== 'None' ? { reason } : {}),
        ...(exitCode ? { exitCode } : {})
      });
    }
  }
  return ends;
}

/** The SLURM commands the backend runs; replaceable in tests. */
export interface ISlurmCommands {
  /** Whether `sbatch` is on PATH. */
  available(): boolean;
  partitions(): Promise<IPartition[]>;
  queue(): Promise<IQueuedJob[]>;
  /** Cancel job ids, and every job of ours named `name` (either may be empty). */
  cancel(ids: string[], name?: string): Promise<void>;
  /** `sbatch --test-only` of `script`: undefined when SLURM would accept it, else its message. */
  testScript(script: string): Promise<string | undefined>;
  /** How jobs `ids` ended, for those SLURM still knows; absent ids it does not. */
  ended?(ids: string[]): Promise<Map<string, ISlurmEnd>>;
}

async function run(
  file: string,
  args: string[],
  input?: string
): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  const result = await execa(file, args, {
    reject: false,
    timeout: 15_000,
    ...(input === undefined ? { stdin: 'ignore' } : { input })
  });
  return { ok: !result.failed, stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? '').trim() };
}

/** The real commands, found on PATH by `which`. */
export function realSlurmCommands(which: (command: string) => string | undefined, user: string): ISlurmCommands {
  return {
    available: () => which('sbatch') !== undefined,
    async partitions() {
      const [summary, nodes] = await Promise.all([
        run('sinfo', ['--noheader', '--format=%P|%l|%a']),
        run('sinfo', ['--json'])
      ]);
      if (!summary.ok) {
        throw new Error(`sinfo failed: ${summary.stderr}`);
      }
      let json: unknown;
      try {
        json = JSON.parse(nodes.stdout);
      } catch {
        json = {};
      }
      return parsePartitions(summary.stdout, json);
    },
    async queue() {
      const result = await run('squeue', ['--json', `--user=${user}`]);
      if (!result.ok) {
        throw new Error(`squeue failed: ${result.stderr}`);
      }
      return parseSqueue(JSON.parse(result.stdout));
    },
    async cancel(ids, name) {
      if (ids.length > 0) {
        await run('scancel', ids);
      }
      if (name) {
        await run('scancel', [`--name=${name}`, `--user=${user}`]);
      }
    },
    async testScript(script) {
      const result = await run('sbatch', ['--test-only'], script);
      return result.ok ? undefined : result.stderr || `sbatch --test-only failed with ${result.stdout}`;
    },
    async ended(ids) {
      // Both sources: slurmctld answers at once and without accounting (the
      // test SLURM has none), but only for MinJobAge; sacct needs slurmdbd, as
      // most sites have, and alone says who cancelled and the exit code, yet
      // may lag behind the job's end. Its answer wins where it is final.
      const list = ids.join(',');
      const [queue, accounting] = await Promise.all([
        run('squeue', ['--json', '--states=all', `--jobs=${list}`]),
        run('sacct', ['-X', '-n', '-P', '-j', list, '-o', 'JobID,State,Reason,ExitCode'])
      ]);
      let json: unknown;
      try {
        json = queue.ok ? JSON.parse(queue.stdout) : {};
      } catch {
        json = {};
      }
      const ends = parseEndedSqueue(json);
      for (const [id, end] of accounting.ok ? parseEndedSacct(accounting.stdout) : []) {
        ends.set(id, end);
      }
      return ends;
    }
  };
}
