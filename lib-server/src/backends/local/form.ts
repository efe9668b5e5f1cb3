/**
 * The parts of the local form that depend on this host: defaults sized from
 * its CPUs and memory, the environment's dask config for the memory
 * thresholds, and sentences saying where each number came from. Pure.
 */

import type { JSONSchema7 } from 'json-schema';
import type { IEnvironmentInfo } from '../../envs/probe.js';
import { formatMemory, parseMemory } from '../../util/memory.js';
import type { IFormParts } from '../definition.js';
import { HEADROOM, profileValues, type Profile } from './profiles.js';
import type { IHostResources, ISourced } from './resources.js';
import { MEMORY_FRACTIONS, memoryFractionDefault, workerBudget, type MemoryFractionField } from './schema.js';

/** What the local form is sized from. */
export interface ILocalFormInput {
  host: IHostResources;
  /** Memory kept for the system. */
  reserve: ISourced;
  /** The environment the form preselects, whose dask config may set the memory thresholds. */
  environment: IEnvironmentInfo | undefined;
  /** The batch job JupyterLab runs inside ("SLURM job 1234"), and when its walltime ends if known. */
  allocation?: { name: string; end: Date | undefined };
}

/** "1 h 5 min", "12 min": a time left, to the minute. */
function timeLeft(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  const hours = Math.floor(minutes / 60);
  return hours > 0 ? `${hours} h ${minutes % 60} min` : `${minutes} min`;
}

/** The type's description: where the cluster runs, and until when inside a batch job. */
function description(input: ILocalFormInput): string {
  const size = `${input.host.cpus.value} CPUs, ${formatMemory(input.host.memory.value)}`;
  const job = input.allocation;
  if (job === undefined) {
    return `Scheduler and workers on this machine (${size}).`;
  }
  const until =
    job.end === undefined
      ? `its walltime could not be read, so nothing stops the cluster before the job ends`
      : `the cluster stops before the job's walltime ends, in ${timeLeft(job.end.getTime() - Date.now())}`;
  return `Scheduler and workers inside ${job.name} on this node (${size}); ${until}.`;
}

/** The memory thresholds' defaults and what they say about them. */
function fractionParts(environment: IEnvironmentInfo | undefined) {
  const options: Record<string, JSONSchema7> = {};
  const sources: Record<string, string> = {};
  for (const field of Object.keys(MEMORY_FRACTIONS) as MemoryFractionField[]) {
    const fraction = memoryFractionDefault(field, environment);
    sources[field] = fraction.source;
    options[field] = {
      description: `Fraction of the memory limit at which ${MEMORY_FRACTIONS[field].what}. Default ${fraction.value}: ${fraction.source}.`,
      default: fraction.value
    };
  }
  return { options, sources };
}

/** The host-sized parts of the local form. */
export function localFormParts(input: ILocalFormInput): IFormParts {
  const { host, reserve } = input;
  const cpus = host.cpus.value;
  const budget = workerBudget(host, reserve);
  const values = profileValues(cpus, budget);
  const profile: Profile = 'mixed';
  const base = values[profile];
  const room = HEADROOM * base.workers;
  const used = (parseMemory(base.memory_per_worker) ?? 0) * base.workers;
  const shape = `${profile} profile on ${cpus} CPUs (${host.cpus.source})`;
  const memory =
    `${formatMemory(host.memory.value)} from the ${host.memory.source}, minus ${formatMemory(reserve.value)} ` +
    `(${reserve.source}), divided by ${room} so the cluster can grow to ${room} workers; ` +
    `${base.workers} workers take ${formatMemory(used)} and leave ${formatMemory(Math.max(0, budget - used))} free ` +
    `for scaling up, besides the ${formatMemory(reserve.value)} kept for the system`;
  const maximum = 'as many workers as the profile starts';
  const fractions = fractionParts(input.environment);
  return {
    description: description(input),
    options: {
      workers: {
        default: base.workers,
        description:
          `Number of workers to start. Default ${base.workers}: ${shape}; with the default memory per worker ` +
          `the cluster can be scaled up to ${room} workers later.`
      },
      adaptive_maximum: {
        default: base.adaptive_maximum,
        description:
          `Most workers adaptive scaling may start. Default ${base.adaptive_maximum}: ${maximum}; ` +
          'together they must fit in the memory of this host.'
      },
      threads_per_worker: {
        description: `Threads that run tasks in each worker, at most the ${cpus} CPUs this host gives. Default ${base.threads_per_worker}: ${shape}.`,
        maximum: cpus,
        default: base.threads_per_worker
      },
      memory_per_worker: {
        description:
          'Memory limit of each worker, e.g. 4 GiB, 3.5GB or 512MiB (GB = 10^9 bytes, GiB = 2^30 bytes). ' +
          `Default ${base.memory_per_worker}: ${memory}.`,
        default: base.memory_per_worker
      },
      ...fractions.options
    },
    sources: {
      workers: shape,
      threads_per_worker: shape,
      memory_per_worker: memory,
      adaptive_maximum: maximum,
      ...fractions.sources
    },
    sourcesComplete: true,
    linked: [{ field: 'profile', values }]
  };
}
