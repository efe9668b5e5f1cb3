/**
 * The local type's rules that a schema cannot say: memory per worker against
 * this host and the user's other local clusters, threads against its CPUs,
 * worker variables only for worker processes; and the defaults that follow
 * the request (memory sized for the workers asked for). Every message says
 * what to change.
 */

import type { IFieldError } from '../../../../protocol/index.js';
import type { IEnvironmentInfo } from '../../envs/probe.js';
import { formatMemory, formatMemoryApart, formatMemoryAs, parseMemory } from '../../util/memory.js';
import { parseWorkerEnv, WORKER_ENV_FIELD } from '../fields.js';
import { memoryPerWorker } from './profiles.js';
import type { IHostResources } from './resources.js';
import { MEMORY_FRACTIONS, memoryFractionDefault, type MemoryFractionField } from './schema.js';

/** What the checks weigh the options against. */
export interface ILocalCheckContext {
  host: IHostResources;
  /** Bytes that workers may share (host memory minus the reserve). */
  budget: number;
  /** The user's local clusters that are starting or running now, and the memory each may take. */
  running: IRunningLocal[];
}

/** A local cluster already holding memory on this host. */
export interface IRunningLocal {
  name: string;
  /** Workers (or adaptive maximum) x memory per worker, in bytes. */
  memory: number;
}

/** The least memory a worker gets: below it, a worker's own baseline leaves no room for tasks. */
export const MIN_WORKER_MEMORY = 256 * 2 ** 20;

/** `… "local 1" (8 GiB), "local 2" (4 GiB)`: what the user's other clusters hold. */
export function describeRunning(running: IRunningLocal[]): string {
  return running.map(r => `"${r.name}" (${formatMemory(r.memory)})`).join(', ');
}

function isPositiveInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1;
}

/**
 * Defaults that follow the request: memory per worker sized for the workers
 * (or adaptive maximum) asked for, and the memory thresholds of the chosen
 * environment's dask config, for the fields the request leaves out.
 */
export function localFill(
  options: Record<string, unknown>,
  requested: Record<string, unknown>,
  budget: number,
  environments: IEnvironmentInfo[]
): Record<string, unknown> {
  const filled: Record<string, unknown> = {};
  if (requested.memory_per_worker === undefined) {
    const count = options.adaptive === true ? options.adaptive_maximum : options.workers;
    if (isPositiveInt(count)) {
      filled.memory_per_worker = memoryPerWorker(budget, count);
    }
  }
  const environment = environments.find(env => env.python === options.environment);
  for (const field of Object.keys(MEMORY_FRACTIONS) as MemoryFractionField[]) {
    if (requested[field] === undefined) {
      filled[field] = memoryFractionDefault(field, environment).value;
    }
  }
  return filled;
}

/** The workers' environment variables, or why they cannot be set. */
function checkWorkerEnv(options: Record<string, unknown>): IFieldError[] {
  const parsed = parseWorkerEnv(options[WORKER_ENV_FIELD]);
  // A line that does not parse is the shared field's error.
  if ('env' in parsed && options.processes === false && Object.keys(parsed.env).length > 0) {
    return [
      {
        path: `/${WORKER_ENV_FIELD}`,
        message:
          'Worker environment variables need workers in their own processes: with Separate processes off they are ' +
          'threads of the runner process, which has its own environment. Turn on Separate processes, or clear them.'
      }
    ];
  }
  return [];
}

function checkMemory(options: Record<string, unknown>, context: ILocalCheckContext): IFieldError[] {
  const text = options.memory_per_worker;
  if (typeof text !== 'string') {
    return [];
  }
  const bytes = parseMemory(text);
  if (bytes === undefined) {
    return [
      {
        path: '/memory_per_worker',
        message: `Memory per worker "${text}" is not a memory size; write a number and a unit, e.g. 4 GiB, 3.5GB or 512MiB.`
      }
    ];
  }
  if (bytes < MIN_WORKER_MEMORY) {
    return [
      {
        path: '/memory_per_worker',
        message:
          `Memory per worker must be at least ${formatMemoryAs(MIN_WORKER_MEMORY, text, 'up')} (you typed ${text}): ` +
          'a worker alone needs about 100 MiB, and with less it is killed and restarted over and over.'
      }
    ];
  }
  const adaptive = options.adaptive === true;
  const count = adaptive ? options.adaptive_maximum : options.workers;
  if (!isPositiveInt(count)) {
    return [];
  }
  const { memory } = context.host;
  const what = adaptive ? `a maximum of ${count} workers` : `${count} worker${count === 1 ? '' : 's'}`;
  // Compared in bytes; only the message rounds, in the user's unit.
  if (bytes * count > memory.value) {
    const most = formatMemoryAs(Math.floor(memory.value / count), text);
    const [total, host] = formatMemoryApart(bytes * count, memory.value, text);
    const roomy = formatMemoryAs(Math.floor(context.budget / count), text);
    return [
      {
        path: '/memory_per_worker',
        message:
          `Memory per worker must be at most ${most} for ${what}: ${count} x ${formatMemoryAs(bytes, text)} = ${total} ` +
          `is more than the ${host} this host has (${memory.source}). Up to ${roomy} each also leaves the system ` +
          'its reserve; or use fewer workers.'
      }
    ];
  }
  const taken = context.running.reduce((sum, r) => sum + r.memory, 0);
  if (taken > 0 && bytes * count + taken > memory.value) {
    const free = Math.max(0, memory.value - taken);
    const fit = Math.floor(free / count);
    const left = formatMemoryAs(free, text);
    const others = `your running local clusters ${describeRunning(context.running)}`;
    return [
      {
        path: '/memory_per_worker',
        message:
          fit >= MIN_WORKER_MEMORY
            ? `Memory per worker must be at most ${formatMemoryAs(fit, text)} for ${what}: ${others} leave ` +
              `${left} of this host's ${formatMemory(memory.value)} (${memory.source}). Use fewer workers, or stop one of them.`
            : `Y${others.slice(1)} leave only ${left} of this host's ${formatMemory(memory.value)} (${memory.source}), ` +
              `less than ${what} need at ${formatMemoryAs(MIN_WORKER_MEMORY, text, 'up')} each; stop one of them first.`
      }
    ];
  }
  return [];
}

/** Every problem of the (filled) options with this host, at once. */
export function localChecks(options: Record<string, unknown>, context: ILocalCheckContext): IFieldError[] {
  const fields = checkMemory(options, context);
  const cpus = context.host.cpus;
  if (typeof options.threads_per_worker === 'number' && options.threads_per_worker > cpus.value) {
    fields.push({
      path: '/threads_per_worker',
      message: `Threads per worker (${options.threads_per_worker}) is more than the ${cpus.value} CPUs this host gives you (${cpus.source}); use at most ${cpus.value}.`
    });
  }
  return [...fields, ...checkWorkerEnv(options)];
}
