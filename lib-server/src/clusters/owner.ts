/**
 * Which companion owns a registry entry. Two JupyterLab servers of one user
 * may share a state directory (two `jupyter lab` runs, or login nodes that
 * share $HOME); each entry names the companion that launched it, so that no
 * companion stops, cancels or marks lost a cluster that is another's.
 */

import os from 'node:os';
import { isObject } from '../util/objects.js';
import type { IProcessInspector } from './processes.js';

/** The companion that owns an entry. */
export interface IOwner {
  host: string;
  pid: number;
  /** The process's start time (processes.ts), so that a reused pid is not taken for it. */
  start?: string;
  /** Its Unix socket, where a companion on the same host asks it to stop one of its clusters. */
  socket?: string;
  /** ISO 8601: when it started, for people. */
  since: string;
}

/** Whether `value` has the shape of an owner (as another companion sends it). */
export function isOwner(value: unknown): value is IOwner {
  if (!isObject(value)) {
    return false;
  }
  const owner = value;
  return (
    typeof owner.host === 'string' &&
    typeof owner.pid === 'number' &&
    typeof owner.since === 'string' &&
    (owner.start === undefined || typeof owner.start === 'string') &&
    (owner.socket === undefined || typeof owner.socket === 'string')
  );
}

/** How an entry's owner stands, seen from `self`. */
export type OwnerStanding =
  /** This companion. */
  | 'self'
  /** Another companion on this host that is still running. */
  | 'alive'
  /** A companion on another host: whether it runs cannot be seen from here. */
  | 'elsewhere'
  /** A companion on this host that has stopped (or an entry from before owners were recorded). */
  | 'gone';

/** This companion, listening on `socket`. */
export function currentOwner(inspector: IProcessInspector, socket?: string): IOwner {
  const start = inspector.startTime(process.pid);
  return {
    host: os.hostname(),
    pid: process.pid,
    ...(start !== undefined ? { start } : {}),
    ...(socket !== undefined ? { socket } : {}),
    since: new Date().toISOString()
  };
}

/** How `owner` stands, seen from `self`. */
export function standing(owner: IOwner | undefined, self: IOwner, inspector: IProcessInspector): OwnerStanding {
  if (owner === undefined) {
    return 'gone';
  }
  if (owner.host !== self.host) {
    return 'elsewhere';
  }
  if (owner.pid === self.pid && owner.start === self.start) {
    return 'self';
  }
  if (!inspector.isAlive(owner.pid)) {
    return 'gone';
  }
  const start = inspector.startTime(owner.pid);
  // A different start time: the pid now belongs to some other process.
  return owner.start !== undefined && start !== undefined && start !== owner.start ? 'gone' : 'alive';
}
