/**
 * The line protocol between the companion and runner.py (documented at the
 * top of runner.py): one JSON object per line, commands on the runner's
 * stdin, events on its stdout.
 */

import type { IScaling } from '../../../protocol/index.js';
import type { ICallSpec } from '../backends/mapping.js';
import { isObject } from '../util/objects.js';

/** First line on stdin: which cluster class to start, and how. */
export type IStartCommand = {
  op: 'start';
  cluster_id: string;
  /** Keyword arguments of the class (or of the adapter). */
  kwargs: Record<string, unknown>;
  /** Arguments built by calls in the runner (mapping.ts), apart from the plain data in `kwargs`. */
  calls?: Record<string, ICallSpec>;
  /** dask config overrides, dotted keys. */
  config: Record<string, unknown>;
  scaling: IScaling;
  /** Stop after this many minutes without tasks (the scheduler's idle timeout, or the runner's watch of a remote one). */
  idle_timeout_minutes?: number;
  /** The cluster's log: the runner's stderr (and its workers') goes there from the start on. */
  log_file?: string;
  /**
   * The runner's control socket, for a cluster that keeps running after
   * JupyterLab stops: a later companion re-adopts it there (adopted.ts).
   */
  control?: string;
} & (
  | {
      /** Import path of a `distributed.deploy.Cluster` subclass; only ever a type definition's. */
      cluster_class: string;
    }
  | {
      /** A runner adapter where Dask's API differs from a cluster class's. */
      adapter: 'gateway';
    }
);

/** Any line the companion writes to a runner. */
export type RunnerCommand =
  | IStartCommand
  /** Instead of a start: host several clusters, each on its own connection to `socket` (hosts.ts). */
  | { op: 'host'; socket: string; log_file: string }
  | { op: 'scale'; workers: number }
  | { op: 'adapt'; minimum: number; maximum: number }
  | { op: 'close' };

/** Any line a runner writes on stdout. */
export type RunnerEvent =
  | { event: 'started'; scheduler_address: string; dashboard_address: string | null; dashboard_missing?: string }
  | { event: 'workers'; workers: number; cores: number; memory: number }
  | { event: 'error'; message: string; traceback: string }
  /** The cluster's job ids, and the worker each runs (job id -> worker name). */
  | { event: 'jobs'; jobs: string[]; names: Record<string, string> }
  /** Something the user should see about a live cluster; `message: null` clears it. */
  | { event: 'warning'; message: string | null }
  /** The cluster is ending by itself (no command asked for it): it was idle for `minutes`; `closed` follows. */
  | { event: 'ending'; reason: 'idle'; minutes: number }
  /** The gateway says the cluster ended outside the runner (a notebook's shutdown, the gateway's own timeout…); `closed` follows. */
  | { event: 'ending'; reason: 'elsewhere'; status: 'stopped' | 'failed' | 'gone' }
  /** A host (the `host` command) listens on `socket` for its clusters' connections. */
  | { event: 'hosting'; socket: string; pid: number }
  | { event: 'closed' };

/** The runner command that applies `scaling` to a running cluster. */
export function scalingCommand(scaling: IScaling): RunnerCommand {
  return scaling.mode === 'fixed'
    ? { op: 'scale', workers: scaling.workers }
    : { op: 'adapt', minimum: scaling.minimum, maximum: scaling.maximum };
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/** A runner's stdout line as an event, or a description of what is wrong with it. */
export function parseRunnerEvent(line: string): RunnerEvent | { invalid: string } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { invalid: `not JSON: ${line.slice(0, 200)}` };
  }
  if (!isObject(value)) {
    return { invalid: `not an object: ${line.slice(0, 200)}` };
  }
  switch (value.event) {
    case 'started':
      if (
        typeof value.scheduler_address === 'string' &&
        (value.dashboard_address === null || typeof value.dashboard_address === 'string')
      ) {
        return {
          event: 'started',
          scheduler_address: value.scheduler_address,
          dashboard_address: value.dashboard_address,
          ...(typeof value.dashboard_missing === 'string' ? { dashboard_missing: value.dashboard_missing } : {})
        };
      }
      break;
    case 'workers':
      if (isCount(value.workers) && isCount(value.cores) && isCount(value.memory)) {
        return { event: 'workers', workers: value.workers, cores: value.cores, memory: value.memory };
      }
      break;
    case 'error':
      return {
        event: 'error',
        message: typeof value.message === 'string' ? value.message : 'unknown error',
        traceback: typeof value.traceback === 'string' ? value.traceback : ''
      };
    case 'jobs':
      if (Array.isArray(value.jobs) && value.jobs.every(job => typeof job === 'string')) {
        const names = isObject(value.names) ? value.names : {};
        return {
          event: 'jobs',
          jobs: value.jobs as string[],
          names: Object.fromEntries(
            Object.entries(names).filter((entry): entry is [string, string] => typeof entry[1] === 'string')
          )
        };
      }
      break;
    case 'warning':
      if (typeof value.message === 'string' || value.message === null) {
        return { event: 'warning', message: value.message };
      }
      break;
    case 'ending':
      if (value.reason === 'idle' && isCount(value.minutes)) {
        return { event: 'ending', reason: 'idle', minutes: value.minutes };
      }
      if (
        value.reason === 'elsewhere' &&
        (value.status === 'stopped' || value.status === 'failed' || value.status === 'gone')
      ) {
        return { event: 'ending', reason: 'elsewhere', status: value.status };
      }
      break;
    case 'hosting':
      if (typeof value.socket === 'string' && isCount(value.pid)) {
        return { event: 'hosting', socket: value.socket, pid: value.pid };
      }
      break;
    case 'closed':
      return { event: 'closed' };
  }
  return { invalid: `unknown or incomplete event: ${line.slice(0, 200)}` };
}
