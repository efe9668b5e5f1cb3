/**
 * Workload profiles: how a local cluster splits the host's CPUs and memory
 * into workers. Pure arithmetic.
 */

import { formatMemory } from '../../util/memory.js';

/** The profiles, in the order the dialog lists them. */
export const PROFILES = ['cpu', 'io', 'mixed'] as const;

/** One of PROFILES. */
export type Profile = (typeof PROFILES)[number];

/** The fields a profile sets (a type literal, so it fits the `linked` records). */
export type ProfileValues = {
  workers: number;
  threads_per_worker: number;
  processes: boolean;
  memory_per_worker: string;
  adaptive_maximum: number;
};

/** A sentence per profile for the dialog. */
export const PROFILE_TITLES: Record<Profile, string> = {
  cpu: 'CPU-bound: one single-threaded process per CPU',
  io: 'I/O-bound: one process with a thread per CPU',
  mixed: 'Mixed: a few processes with a few threads each'
};

/** Workers and threads per worker of `profile` on `cpus` CPUs. */
export function profileShape(profile: Profile, cpus: number): { workers: number; threads: number } {
  const n = Math.max(1, Math.floor(cpus));
  switch (profile) {
    case 'cpu':
      return { workers: n, threads: 1 };
    case 'io':
      // One process shares memory between all its threads; threads per worker
      // stay within the CPUs this host gives (the limit validation enforces).
      return { workers: 1, threads: n };
    case 'mixed': {
      // The smallest divisor of n that is at least sqrt(n): as many processes
      // as threads per process, or slightly more processes.
      let workers = Math.ceil(Math.sqrt(n));
      while (n % workers !== 0) {
        workers += 1;
      }
      return { workers, threads: n / workers };
    }
  }
}

/**
 * How many times its workers a cluster's default memory leaves room for:
 * with 2, a cluster started with the defaults can be scaled to twice its
 * workers and still fit in the budget.
 */
export const HEADROOM = 2;

/** Memory of each of `workers` workers, leaving room in `budget` for HEADROOM times as many, as a size string. */
export function memoryPerWorker(budget: number, workers: number): string {
  return formatMemory(Math.floor(budget / (HEADROOM * Math.max(1, workers))));
}

/** Every profile's values on a host with `cpus` CPUs and `budget` bytes for workers. */
export function profileValues(cpus: number, budget: number): Record<Profile, ProfileValues> {
  const values = {} as Record<Profile, ProfileValues>;
  for (const profile of PROFILES) {
    const { workers, threads } = profileShape(profile, cpus);
    values[profile] = {
      workers,
      threads_per_worker: threads,
      processes: true,
      memory_per_worker: memoryPerWorker(budget, workers),
      adaptive_maximum: workers
    };
  }
  return values;
}
