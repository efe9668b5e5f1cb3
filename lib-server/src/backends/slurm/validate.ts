/**
 * Validation of SLURM cluster options: defaults, the JSON Schema, then the
 * partition's limits (walltime, CPUs and memory per node, state). Every
 * message says what to change. Pure.
 */

import type { IClusterType, IFieldError } from '../../../../protocol/index.js';
import type { IEnvironmentInfo } from '../../envs/probe.js';
import { formatMemory, parseMemory } from '../../util/memory.js';
import { schemaErrors } from '../../util/schema-errors.js';
import { partitionProblem, type IPartition } from './queries.js';
import { slurmEnvironmentCheck, type ISlurmOptions } from './schema.js';
import { formatSlurmTime, parseSlurmTime } from './walltime.js';
import { isObject } from '../../util/objects.js';
import { environmentProblem, optionsBoundsProblem, parseWorkerEnv, WORKER_ENV_FIELD } from '../fields.js';

/** What validation checks against. */
export interface ISlurmValidationContext {
  type: IClusterType;
  partitions: IPartition[];
  environments: IEnvironmentInfo[];
}

/** Problems of `options` with the partition it names. */
export function partitionErrors(options: Record<string, unknown>, partitions: IPartition[]): IFieldError[] {
  const partition = partitions.find(p => p.name === options.partition);
  if (partition === undefined) {
    return [];
  }
  const fields: IFieldError[] = [];
  const problem = partitionProblem(partition);
  if (problem !== undefined) {
    const others = partitions.filter(p => p !== partition && partitionProblem(p) === undefined).map(p => p.name);
    fields.push({
      path: '/partition',
      message: `${problem}; choose another partition${others.length > 0 ? ` (${others.join(', ')})` : ''}.`
    });
  }
  const parsed = typeof options.walltime === 'string' ? parseSlurmTime(options.walltime) : undefined;
  const walltime = parsed === Infinity ? undefined : parsed;
  if (walltime !== undefined && walltime > partition.maxTime) {
    const roomier = partitions.filter(p => p.maxTime >= walltime).map(p => p.name);
    fields.push({
      path: '/walltime',
      message:
        `Walltime ${options.walltime as string} is more than partition ${partition.name} allows (${formatSlurmTime(partition.maxTime)}); ` +
        `lower it to ${formatSlurmTime(partition.maxTime)} or less${roomier.length > 0 ? `, or choose partition ${roomier.join(' or ')}` : ''}.`
    });
  }
  if (walltime === 0) {
    fields.push({ path: '/walltime', message: 'Walltime must be more than zero, e.g. 00:30:00.' });
  }
  if (typeof options.cores === 'number' && partition.cpusPerNode > 0 && options.cores > partition.cpusPerNode) {
    fields.push({
      path: '/cores',
      message: `Cores per job (${options.cores}) is more than the ${partition.cpusPerNode} CPUs of any node of partition ${partition.name}; use at most ${partition.cpusPerNode}.`
    });
  }
  const memory = typeof options.memory === 'string' ? parseMemory(options.memory) : undefined;
  if (memory !== undefined && partition.memoryPerNode > 0 && memory > partition.memoryPerNode) {
    fields.push({
      path: '/memory',
      message: `Memory per job (${formatMemory(memory)}) is more than the ${formatMemory(partition.memoryPerNode)} of any node of partition ${partition.name}; lower it.`
    });
  }
  return fields;
}

/** Validate raw SLURM options; returns them complete, or every problem. */
export function resolveSlurmOptions(
  raw: unknown,
  context: ISlurmValidationContext
): { options: ISlurmOptions; workerEnv: Record<string, string> } | { fields: IFieldError[] } {
  if (!isObject(raw)) {
    return { fields: [{ path: '', message: 'The options must be a JSON object, e.g. {"workers": 2}.' }] };
  }
  const options: Record<string, unknown> = { ...context.type.defaults, ...raw };
  const fields = schemaErrors(context.type.schema, options, {
    skip: error =>
      ((error.instancePath === '/environment' || error.instancePath === '/partition') && error.keyword === 'enum') ||
      ((error.instancePath === '/memory' || error.instancePath === '/walltime') && error.keyword === 'pattern')
  });
  if (typeof options.walltime === 'string' && parseSlurmTime(options.walltime) === undefined) {
    fields.push({
      path: '/walltime',
      message: `Walltime "${options.walltime}" is not a SLURM time; write HH:MM:SS (e.g. 01:00:00) or D-HH:MM:SS.`
    });
  }
  const environment =
    typeof options.environment === 'string'
      ? environmentProblem(options.environment, context.environments, slurmEnvironmentCheck)
      : undefined;
  if (environment !== undefined) {
    fields.push({ path: '/environment', message: environment });
  }
  if (typeof options.partition === 'string' && !context.partitions.some(p => p.name === options.partition)) {
    fields.push({
      path: '/partition',
      message: `There is no partition "${options.partition}"; choose one of ${context.partitions.map(p => p.name).join(', ') || '(none: sinfo lists no partition)'}.`
    });
  }
  if (typeof options.memory === 'string' && parseMemory(options.memory) === undefined) {
    fields.push({
      path: '/memory',
      message: `Memory per job "${options.memory}" is not a memory size; write e.g. 4 GiB.`
    });
  }
  fields.push(...partitionErrors(options, context.partitions));
  const bounds = optionsBoundsProblem(options);
  if (bounds !== undefined) {
    fields.push(bounds);
  }
  if (typeof options.processes === 'number' && typeof options.cores === 'number' && options.processes > options.cores) {
    fields.push({
      path: '/processes',
      message: `Worker processes per job (${options.processes}) is more than Cores per job (${options.cores}); each process needs a core.`
    });
  }
  const workerEnv = parseWorkerEnv(options[WORKER_ENV_FIELD]);
  if ('error' in workerEnv) {
    fields.push(workerEnv.error);
  }
  const unique = fields.filter(
    (field, i) => fields.findIndex(f => f.path === field.path && f.message === field.message) === i
  );
  if (unique.length > 0 || 'error' in workerEnv) {
    return { fields: unique };
  }
  // Checked against the schema above, which mirrors ISlurmOptions.
  return { options: options as unknown as ISlurmOptions, workerEnv: workerEnv.env };
}
