/**
 * Facts of the local type that its definition, form and checks share: the
 * options' shape, the dask memory thresholds, which environments can run it,
 * and the memory its workers may share. Pure.
 */

import type { IEnvironmentInfo } from '../../envs/probe.js';
import { needsDistributed, type EnvironmentCheck } from '../fields.js';
import type { IHostResources, ISourced } from './resources.js';

/** The dask memory thresholds the form exposes, with dask's own defaults. */
export const MEMORY_FRACTIONS = {
  memory_target: { key: 'target', dask: 0.75, title: 'Memory target', what: 'a worker starts spilling data to disk' },
  memory_spill: { key: 'spill', dask: 0.85, title: 'Memory spill', what: 'a worker spills by measured process memory' },
  memory_pause: { key: 'pause', dask: 0.92, title: 'Memory pause', what: 'a worker stops starting new tasks' },
  memory_terminate: { key: 'terminate', dask: 0.98, title: 'Memory terminate', what: 'the nanny restarts the worker' }
} as const;

/** One of the memory threshold fields. */
export type MemoryFractionField = keyof typeof MEMORY_FRACTIONS;

/** Which environments can run local clusters: distributed, and cryptography for TLS. */
export function localEnvironmentCheck(tls: boolean): EnvironmentCheck {
  return env => {
    const base = needsDistributed(env);
    if (base !== undefined || !tls || env.probe === undefined || env.probe.packages.cryptography !== undefined) {
      return base;
    }
    return (
      "lacks the cryptography package, which the cluster's TLS certificates need; " +
      `install it there (${env.python} -m pip install cryptography)`
    );
  };
}

/** Bytes that workers may share: the host's memory minus the reserve (at least half of it). */
export function workerBudget(host: IHostResources, reserve: ISourced): number {
  const left = host.memory.value - reserve.value;
  return left > 0 ? left : Math.floor(host.memory.value / 2);
}

/** Default of one memory threshold: the user's dask config for `environment`, else dask's. */
export function memoryFractionDefault(
  field: MemoryFractionField,
  environment: IEnvironmentInfo | undefined
): { value: number; source: string } {
  const { key, dask } = MEMORY_FRACTIONS[field];
  const name = `distributed.worker.memory.${key}`;
  const configured = environment?.probe?.config[name];
  if (typeof configured === 'number' && configured >= 0 && configured <= 1) {
    return { value: configured, source: `your dask config (${name})` };
  }
  return { value: dask, source: "dask's default" };
}
