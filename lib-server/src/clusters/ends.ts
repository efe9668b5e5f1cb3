/**
 * Why a cluster ended by itself, in the words its item and notification use:
 * from the runner's `ending` event, or from what a runner that ended while no
 * companion listened left next to its control socket (runner.py `_leave_end`).
 */

import { readFileSync, rmSync } from 'node:fs';
import type { IClusterModel } from '../../../protocol/index.js';
import { idleEndReason } from '../backends/ending.js';
import { parseRunnerEvent, type RunnerEvent } from '../runner/protocol.js';
import { isObject } from '../util/objects.js';

/** The end reason of a cluster its service ended outside the runner (a gateway's), by what the service says. */
const ENDED_ELSEWHERE = {
  stopped: 'Stopped outside JupyterLab (the gateway says it was shut down, e.g. from a notebook).',
  failed: 'The gateway says the cluster failed.',
  gone: 'The gateway no longer knows the cluster: it was stopped elsewhere.'
} as const;

/** The end reason an `ending` event gives. */
export function endingReason(event: Extract<RunnerEvent, { event: 'ending' }>): string {
  return event.reason === 'idle' ? idleEndReason(event.minutes) : ENDED_ELSEWHERE[event.status];
}

/**
 * How a cluster that kept running ended while no companion listened (the
 * file is removed once read); undefined when its runner left nothing.
 */
export function detachedEnd(control: string): Pick<IClusterModel, 'state' | 'endReason' | 'error'> | undefined {
  const file = `${control}.end`;
  let end: unknown;
  try {
    end = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  rmSync(file, { force: true });
  const { code, event } = isObject(end) ? end : { code: undefined, event: undefined };
  const last = parseRunnerEvent(JSON.stringify(event ?? null));
  if (code === 0) {
    const why = 'event' in last && last.event === 'ending' ? endingReason(last) : 'It was closed.';
    return { state: 'stopped', endReason: `Ended while JupyterLab was not running. ${why}` };
  }
  const message = 'event' in last && last.event === 'error' ? `: ${last.message}` : '.';
  return {
    state: 'failed',
    error: `Its runner failed while JupyterLab was not running (exit code ${String(code)})${message}`
  };
}
