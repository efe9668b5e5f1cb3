/**
 * What the hooks of the batch types built on dask-jobqueue (pbs, lsf,
 * htcondor) share: the form's defaults from jobqueue.<system>, the queue the
 * form preselects and its line in the dropdown, the worker lifetime before a
 * walltime, the refusals of a queue's limits, and the jobs the registry knows.
 */

import type { JSONSchema7 } from 'json-schema';
import type { IFieldError } from '../../../../protocol/index.js';
import { ACTIVE_STATES, type IClusterRecord, type Registry } from '../../clusters/registry.js';
import { formatMemory, parseMemory } from '../../util/memory.js';
import type { IFormParts, ITypeHooks } from '../definition.js';
import { formatSlurmTime, workerLifetime } from '../slurm/walltime.js';
import type { IQueue } from './types.js';
import { BatchJobWatcher, type IBatchWatchOptions } from './watch.js';

/** Non-empty lines of a text field. */
export function textLines(value: unknown): string[] {
  return String(value ?? '')
    .split('\n')
    .map(line => line.trim())
    .filter(line => line !== '');
}

/** A config value of lines (a list or a string) as a text field's value. */
export function configLines(value: unknown): string | undefined {
  return Array.isArray(value) ? value.map(String).join('\n') : typeof value === 'string' ? value : undefined;
}

/** A positive integer, else undefined. */
export function positive(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 ? value : undefined;
}

/** A text option, trimmed; undefined (no keyword argument) when empty. */
export function given(value: unknown): string | undefined {
  const trimmed = String(value ?? '').trim();
  return trimmed !== '' ? trimmed : undefined;
}

/** The form's computed defaults and where each comes from. */
export interface IFormDefaults {
  options: Record<string, JSONSchema7>;
  sources: Record<string, string>;
  /** `field`'s default: the config's value when it has one, else `fallback` because `why`. */
  set(field: string, fromConfig: unknown, fallback: unknown, why: string): void;
}

/** An empty set of defaults for jobqueue.`system`. */
export function formDefaults(system: string): IFormDefaults {
  const options: Record<string, JSONSchema7> = {};
  const sources: Record<string, string> = {};
  return {
    options,
    sources,
    set(field, fromConfig, fallback, why) {
      options[field] = { ...options[field], default: (fromConfig ?? fallback) as JSONSchema7['default'] };
      sources[field] = fromConfig !== undefined ? `your dask config (jobqueue.${system})` : why;
    }
  };
}

/** The defaults of the fields every system has, from `config` (keys as jobqueueConfig spells them). */
export function commonDefaults(d: IFormDefaults, config: Record<string, unknown>, logDirectory: string): void {
  const memory =
    typeof config.memory === 'string' && parseMemory(config.memory) !== undefined ? config.memory : undefined;
  const name = typeof config.name === 'string' && /^[A-Za-z_][\w.-]*$/.test(config.name) ? config.name : undefined;
  d.set('cores', positive(config.cores), 1, 'one core per job');
  d.set('processes', positive(config.processes), 1, 'one worker process per job');
  d.set('memory', memory, '2 GiB', '2 GiB per job');
  d.set('job_name', name, 'dask-worker', "dask-jobqueue's name");
  d.set('log_directory', configLines(config['log-directory']), logDirectory, 'next to the cluster credentials');
}

/** The queue the form preselects: jobqueue.<system>.queue when the system has it, else `preferred`, else the first. */
export function chooseQueue(
  queues: IQueue[],
  configQueue: unknown,
  preferred?: string
): { queue: IQueue | undefined; fromConfig: string | undefined } {
  const fromConfig = queues.some(q => q.name === configQueue) ? String(configQueue) : undefined;
  const queue = queues.find(q => q.name === (fromConfig ?? preferred)) ?? queues[0];
  return { queue, fromConfig };
}

/** How a system writes and names a queue's walltime limit. */
export interface ILimitWords {
  /** The system's name, e.g. "PBS". */
  system: string;
  /** Where the limit comes from, e.g. "resources_max.walltime". */
  limitName: string;
  /** A walltime as the field takes it. */
  format(seconds: number): string;
}

/** A queue's walltime limit as the form and the messages say it. */
export function limitText(queue: IQueue, words: ILimitWords): string {
  const limit = queue.limits.walltime;
  return limit === undefined || limit === Infinity ? 'no time limit' : `at most ${words.format(limit)}`;
}

/** A queue's line in the dropdown: its limits, and its state when it is not plainly open. */
export function queueTitle(queue: IQueue, words: ILimitWords, openStates: string[]): string {
  const { cores, memory } = queue.limits;
  const size = [
    ...(cores !== undefined ? [`${cores} cores`] : []),
    ...(memory !== undefined && Number.isFinite(memory) ? [formatMemory(memory)] : [])
  ];
  const state = queue.state !== undefined && !openStates.includes(queue.state) ? ` (${queue.state})` : '';
  return `${queue.name} — ${limitText(queue, words)}${size.length > 0 ? `, ${size.join(', ')} per job` : ''}${state}`;
}

/** The dropdown of queues: their names, with each one's limits as its title. */
export function queueChoices(queues: IQueue[], words: ILimitWords, openStates: string[]): IFormParts {
  return {
    options: { queue: { enum: queues.map(q => q.name) } },
    ui: { queue: { 'ui:enumNames': queues.map(q => queueTitle(q, words, openStates)) } }
  };
}

/** How a system's queues and walltimes read, for the form's queue and walltime defaults. */
export interface IQueueDefaults {
  words: ILimitWords;
  /** The states in which a queue takes and runs jobs, which its title leaves unsaid. */
  openStates: string[];
  /** The queue the system is installed with, preselected when there. */
  preferred: string;
  /** The command that lists the queues, e.g. "qstat -Q". */
  listCommand: string;
  /** Seconds of a walltime as the system writes it. */
  seconds(value: unknown): number | undefined;
}

/**
 * The queue dropdown with each queue's limits, and the queue and walltime
 * defaults: jobqueue.<system>'s, else the preferred (or first) queue and
 * dask-jobqueue's 30 minutes within its limit. Returns the dropdown's hints.
 */
export function queueDefaults(
  d: IFormDefaults,
  queues: IQueue[],
  config: Record<string, unknown>,
  how: IQueueDefaults
): IFormParts['ui'] {
  const choices = queueChoices(queues, how.words, how.openStates);
  Object.assign(d.options, choices.options);
  const { queue, fromConfig } = chooseQueue(queues, config.queue, how.preferred);
  d.set('queue', fromConfig, queue?.name ?? '', `the first queue (${how.listCommand})`);
  const configWalltime = how.seconds(config.walltime);
  d.set(
    'walltime',
    configWalltime !== undefined ? how.words.format(configWalltime) : undefined,
    how.words.format(Math.min(1800, queue?.limits.walltime ?? Infinity)),
    `dask-jobqueue's 30 minutes (within the queue's ${how.words.limitName})`
  );
  return choices.ui;
}

/** The worker's arguments: its HTTP server on loopback only, and retiring before `walltime` seconds when there is one. */
export function workerArgs(walltime: number | undefined): string[] {
  const base = ['--no-dashboard', '--dashboard-address', '127.0.0.1:0'];
  if (walltime === undefined || !Number.isFinite(walltime)) {
    return base;
  }
  const { lifetime, stagger } = workerLifetime(walltime);
  return [...base, '--lifetime', `${lifetime}s`, '--lifetime-stagger', `${stagger}s`];
}

/** The walltime above `queue`'s limit, on the walltime field, naming queues that allow it; undefined when within. */
export function walltimeError(
  walltime: number | undefined,
  queue: IQueue,
  queues: IQueue[],
  words: ILimitWords
): IFieldError | undefined {
  const limit = queue.limits.walltime;
  if (walltime === undefined || limit === undefined || walltime <= limit) {
    return undefined;
  }
  const longer = queues
    .filter(q => q !== queue && (q.limits.walltime ?? Infinity) >= walltime)
    .map(q => `${q.name} (${limitText(q, words)})`);
  return {
    path: '/walltime',
    message:
      `Queue ${queue.name} allows at most ${words.format(limit)} (${words.limitName}); ${words.system} would not ` +
      `run a job of ${words.format(walltime)}. Choose at most ${words.format(limit)}` +
      `${longer.length > 0 ? `, or queue ${longer.join(' or ')}` : ''}.`
  };
}

/** Cores and memory of a job above `queue`'s limits, and more processes than cores. */
export function sizeErrors(o: Record<string, unknown>, queue: IQueue | undefined): IFieldError[] {
  const fields: IFieldError[] = [];
  const cores = Number(o.cores);
  const most = queue?.limits.cores;
  if (queue !== undefined && most !== undefined && cores > most) {
    fields.push({
      path: '/cores',
      message: `Queue ${queue.name} allows at most ${most} cores per job; use at most ${most}.`
    });
  }
  const memory = typeof o.memory === 'string' ? parseMemory(o.memory) : undefined;
  const limit = queue?.limits.memory;
  if (queue !== undefined && memory !== undefined && limit !== undefined && memory > limit) {
    fields.push({
      path: '/memory',
      message: `Queue ${queue.name} allows at most ${formatMemory(limit)} per job; lower Memory per job (${formatMemory(memory)}).`
    });
  }
  if (Number(o.processes) > cores) {
    fields.push({
      path: '/processes',
      message: `${String(o.processes)} worker processes need at least as many cores (${cores}).`
    });
  }
  return fields;
}

/** A queue that is not there, on the queue field, with the ones `command` lists. */
export function unknownQueue(name: unknown, queues: IQueue[], command: string): IFieldError {
  return {
    path: '/queue',
    message: `There is no queue "${String(name)}" (${command} lists ${queues.map(q => q.name).join(', ') || 'none'}).`
  };
}

/** `seconds` as HH:MM:SS (hours may exceed 24). */
export const formatHms = formatSlurmTime;

/** The ids of the jobs of the active clusters of `type` (reported by the runner, or in the model). */
export function knownJobIds(registry: Registry, type: string): string[] {
  const active = registry.list().filter(r => r.model.type === type && ACTIVE_STATES.has(r.model.state));
  return [...new Set(active.flatMap(r => [...(r.jobIds ?? []), ...r.model.jobs.map(job => job.id)]))];
}

/** The name the jobs of cluster `record` carry: its job name and its id. */
export function jobNameOf(record: IClusterRecord): string {
  const name = record.model.spec.options.job_name;
  return `${typeof name === 'string' && name !== '' ? name : 'dask-worker'}-${record.model.id}`;
}

/** Where a system's commands are found, for the reason a type is unavailable. */
export interface IOnPath {
  /** The host to start JupyterLab on, e.g. "a PBS login node". */
  host: string;
  /** The system's name, e.g. "PBS". */
  system: string;
  /** How to put its commands on PATH, e.g. "module load pbs". */
  how: string;
}

/** What a batch type's hooks are made of (batchHooks). */
export interface IBatchHooksSpec {
  /** The type id whose clusters the watcher follows. */
  type: string;
  intervalMs: number;
  /** The first command that is not on PATH (commands.missing). */
  missing(): string | undefined;
  /** Why the commands on PATH are another system's (Grid Engine's qsub for PBS), when they are. */
  foreign?(): string | undefined;
  onPath: IOnPath;
  form: NonNullable<ITypeHooks['form']>;
  values: NonNullable<ITypeHooks['values']>;
  /** Field errors before submitting, from the options. */
  refusals(o: Record<string, unknown>): Promise<IFieldError[]>;
  /** The watcher's commands for `registry`: the jobs, cancelling, walltime and logs. */
  watch(registry: Registry): Omit<IBatchWatchOptions, 'type' | 'registry' | 'intervalMs'>;
}

/** The hooks of a batch type: availability, form, values, refusals and the shared job watcher. */
export function batchHooks(spec: IBatchHooksSpec): ITypeHooks {
  const { host, system, how } = spec.onPath;
  return {
    async available() {
      const missing = spec.missing();
      return missing === undefined
        ? spec.foreign?.()
        : `${missing} is not on PATH: start JupyterLab on ${host}, with the ${system} commands on PATH ` +
            `(e.g. ${how}), then reload.`;
    },
    form: spec.form,
    values: spec.values,
    preSubmit: o => spec.refusals(o),
    attach(registry: Registry) {
      return new BatchJobWatcher({
        type: spec.type,
        registry,
        intervalMs: spec.intervalMs,
        ...spec.watch(registry)
      }).start();
    }
  };
}
