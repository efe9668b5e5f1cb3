/**
 * Validation of local cluster options: defaults filled in, then the JSON
 * Schema (Ajv, all errors), then checks a schema cannot express. Every
 * message says what to change.
 */

import type { IClusterType, IFieldError } from '../../../../protocol/index.js';
import type { IEnvironmentInfo } from '../../envs/probe.js';
import { formatMemory, formatMemoryApart, formatMemoryAs, parseMemory } from '../../util/memory.js';
import { schemaErrors } from '../../util/schema-errors.js';
import { memoryPerWorker, PROFILES, type Profile } from './profiles.js';
import type { IHostResources } from './resources.js';
import {
  localEnvironmentCheck,
  MEMORY_FRACTIONS,
  memoryFractionDefault,
  type ILocalOptions,
  type MemoryFractionField
} from './schema.js';
import { isObject } from '../../util/objects.js';
import { environmentProblem, optionsBoundsProblem, parseWorkerEnv, WORKER_ENV_FIELD } from '../fields.js';

/** What validation checks against. */
export interface ILocalValidationContext {
  /** The type from buildLocalType, for its schema, defaults and profiles. */
  type: IClusterType;
  environments: IEnvironmentInfo[];
  host: IHostResources;
  /** Bytes that workers may share (host memory minus the reserve). */
  budget: number;
  exists: (path: string) => boolean;
  /** The user's local clusters that are starting or running now, and the memory each may take. */
  running: IRunningLocal[];
  /** Whether the cluster will use TLS (its environment then needs cryptography). */
  tls: boolean;
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

function isProfile(value: unknown): value is Profile {
  return typeof value === 'string' && (PROFILES as readonly string[]).includes(value);
}

function isPositiveInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1;
}

/**
 * The options with defaults filled in: the type's defaults, then what the
 * chosen profile sets, then the request. Memory per worker and the memory
 * thresholds follow the request's workers and environment when not given.
 */
export function fillLocalDefaults(
  raw: Record<string, unknown>,
  context: ILocalValidationContext
): Record<string, unknown> {
  const { type } = context;
  const profile = isProfile(raw.profile) ? raw.profile : type.defaults.profile;
  const linked = type.linked?.find(link => link.field === 'profile')?.values[String(profile)] ?? {};
  const merged: Record<string, unknown> = { ...type.defaults, ...linked, ...raw };
  if (raw.memory_per_worker === undefined) {
    const count = merged.adaptive === true ? merged.adaptive_maximum : merged.workers;
    if (isPositiveInt(count)) {
      merged.memory_per_worker = memoryPerWorker(context.budget, count);
    }
  }
  const environment = context.environments.find(env => env.python === merged.environment);
  for (const field of Object.keys(MEMORY_FRACTIONS) as MemoryFractionField[]) {
    if (raw[field] === undefined) {
      merged[field] = memoryFractionDefault(field, environment).value;
    }
  }
  return merged;
}

function checkEnvironment(python: string, context: ILocalValidationContext): string | undefined {
  if (!context.exists(python)) {
    const known = context.environments.find(env => env.python === python);
    return known === undefined
      ? `Interpreter ${python} does not exist; choose one of the listed environments.`
      : `Interpreter ${python} (${known.label}) no longer exists; choose another environment.`;
  }
  return environmentProblem(python, context.environments, localEnvironmentCheck(context.tls));
}

/** The workers' environment variables, or why they cannot be set. */
function checkWorkerEnv(options: Record<string, unknown>): { env: Record<string, string> } | { error: IFieldError } {
  const parsed = parseWorkerEnv(options[WORKER_ENV_FIELD]);
  if ('env' in parsed && options.processes === false && Object.keys(parsed.env).length > 0) {
    return {
      error: {
        path: `/${WORKER_ENV_FIELD}`,
        message:
          'Worker environment variables need workers in their own processes: with Separate processes off they are ' +
          'threads of the runner process, which has its own environment. Turn on Separate processes, or clear them.'
      }
    };
  }
  return parsed;
}

function checkMemory(options: Record<string, unknown>, context: ILocalValidationContext): IFieldError[] {
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

/** Validate raw local options; returns them complete, or every problem. */
export function resolveLocalOptions(
  raw: unknown,
  context: ILocalValidationContext
): { options: ILocalOptions; workerEnv: Record<string, string> } | { fields: IFieldError[] } {
  if (!isObject(raw)) {
    return { fields: [{ path: '', message: 'The options must be a JSON object, e.g. {"workers": 2}.' }] };
  }
  const options = fillLocalDefaults(raw, context);
  const fields = schemaErrors(context.type.schema, options, {
    // Said better by checkEnvironment and checkMemory below.
    skip: error =>
      (error.instancePath === '/environment' && error.keyword === 'enum') ||
      (error.instancePath === '/memory_per_worker' && error.keyword === 'pattern') ||
      (error.instancePath === '/threads_per_worker' && error.keyword === 'maximum')
  });
  if (typeof options.environment === 'string') {
    const problem = checkEnvironment(options.environment, context);
    if (problem) {
      fields.push({ path: '/environment', message: problem });
    }
  }
  fields.push(...checkMemory(options, context));
  const cpus = context.host.cpus;
  if (typeof options.threads_per_worker === 'number' && options.threads_per_worker > cpus.value) {
    fields.push({
      path: '/threads_per_worker',
      message: `Threads per worker (${options.threads_per_worker}) is more than the ${cpus.value} CPUs this host gives you (${cpus.source}); use at most ${cpus.value}.`
    });
  }
  const bounds = optionsBoundsProblem(options);
  const workerEnv = checkWorkerEnv(options);
  fields.push(...(bounds !== undefined ? [bounds] : []), ...('error' in workerEnv ? [workerEnv.error] : []));
  if (fields.length > 0 || 'error' in workerEnv) {
    return { fields };
  }
  // Every field was checked against the schema above, which mirrors ILocalOptions.
  return { options: options as unknown as ILocalOptions, workerEnv: workerEnv.env };
}
