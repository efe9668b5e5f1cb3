/**
 * The hooks of the `lsf` type (definition.ts): what data cannot say. Whether
 * LSF is here, its queues with their run limits and the site's jobqueue.lsf
 * defaults for the form, the walltime (HH:MM, as bsub -W takes it) and worker
 * lifetime, the limits checked before anything is submitted (bsub refuses a
 * run limit above its queue's RUNLIMIT), and the watcher of the jobs.
 */

import path from 'node:path';
import type { IFieldError } from '../../../../protocol/index.js';
import type { IClusterRecord } from '../../clusters/registry.js';
import { formatMemory, parseMemory } from '../../util/memory.js';
import type { IFormParts, IHookContext, ITypeHooks } from '../definition.js';
import { readJobqueueConfig } from '../jobqueue/config.js';
import {
  batchHooks,
  commonDefaults,
  configLines,
  formDefaults,
  given,
  queueDefaults,
  sizeErrors,
  textLines,
  unknownQueue,
  walltimeError,
  workerArgs,
  type ILimitWords
} from '../jobqueue/hooks.js';
import { parseDuration } from '../jobqueue/parse.js';
import type { IQueue } from '../jobqueue/types.js';
import type { ILsfCommands } from './commands.js';

/** What the hooks are given. */
export interface ILsfHookOptions {
  commands: ILsfCommands;
  /** The default log directory. */
  logDirectory: string;
  /** Between two bjobs calls while LSF clusters exist. */
  intervalMs: number;
}

/** `seconds` as HH:MM, rounded up to the minute (hours may exceed 24), as bsub -W takes it. */
export function formatHoursMinutes(seconds: number): string {
  const minutes = Math.max(0, Math.ceil(seconds / 60));
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(Math.floor(minutes / 60))}:${two(minutes % 60)}`;
}

const WORDS: ILimitWords = { system: 'LSF', limitName: 'RUNLIMIT', format: formatHoursMinutes };

/** Seconds of an LSF run limit (`HH:MM`, or minutes), or undefined. */
export function lsfSeconds(value: unknown): number | undefined {
  if (typeof value === 'number' || (typeof value === 'string' && /^\s*\d+\s*$/.test(value))) {
    return Number(value) * 60;
  }
  return typeof value === 'string' ? parseDuration(value, 'hours:minutes') : undefined;
}

/** jobqueue.lsf's mem (bytes, or a size) as the field writes it. */
function configMem(value: unknown): string | undefined {
  if (typeof value === 'number' && value > 0) {
    return formatMemory(value);
  }
  return typeof value === 'string' && parseMemory(value) !== undefined ? value : undefined;
}

/** The form's computed parts from the queues and jobqueue.lsf. */
export function lsfFormParts(queues: IQueue[], config: Record<string, unknown>, logDirectory: string): IFormParts {
  const d = formDefaults('lsf');
  const ui = queueDefaults(d, queues, config, {
    words: WORDS,
    openStates: ['Open:Active'],
    // normal is the queue LSF is installed with.
    preferred: 'normal',
    listCommand: 'bqueues',
    seconds: lsfSeconds
  });
  d.set('project', given(config.project), '', 'none');
  d.set('ncpus', typeof config.ncpus === 'number' && config.ncpus >= 1 ? config.ncpus : undefined, 0, 'the cores');
  d.set('mem', configMem(config.mem), '', 'the memory per job');
  d.set('job_extra_directives', configLines(config['job-extra-directives']), '', 'none');
  commonDefaults(d, config, logDirectory);
  return { options: d.options, sources: d.sources, ui };
}

/** Values of the mapping computed from the options: walltime, worker lifetime, slots, memory limit, directives. */
export function lsfValues(o: Record<string, unknown>): Record<string, unknown> {
  const walltime = lsfSeconds(o.walltime) ?? 1800;
  const mem = typeof o.mem === 'string' ? parseMemory(o.mem) : undefined;
  return {
    walltime_arg: formatHoursMinutes(walltime),
    project_arg: given(o.project),
    ncpus_arg: typeof o.ncpus === 'number' && o.ncpus >= 1 ? o.ncpus : undefined,
    mem_arg: mem !== undefined ? Math.ceil(mem) : undefined,
    worker_args: workerArgs(walltime),
    directives: textLines(o.job_extra_directives),
    log_dir: String(o.log_directory ?? '').trim()
  };
}

/** What bsub would refuse: a queue that is not there or closed, a walltime above its RUNLIMIT. */
export function lsfLimitErrors(o: Record<string, unknown>, queues: IQueue[]): IFieldError[] {
  const queue = queues.find(q => q.name === o.queue);
  if (queue === undefined) {
    return [unknownQueue(o.queue, queues, 'bqueues')];
  }
  if (queue.state?.startsWith('Closed') === true) {
    const open = queues.filter(q => q.state?.startsWith('Open') === true).map(q => q.name);
    return [
      {
        path: '/queue',
        message: `Queue ${queue.name} is ${queue.state}: bsub would refuse the jobs; choose another queue${open.length > 0 ? ` (${open.join(', ')})` : ''}.`
      }
    ];
  }
  const walltime = walltimeError(lsfSeconds(o.walltime), queue, queues, WORDS);
  return [...(walltime !== undefined ? [walltime] : []), ...sizeErrors(o, queue)];
}

/**
 * LSFCluster's output and error files (its -o and -e): <log directory>/<worker name>-<job id>.out
 * and .err, the worker's name as the runner reports it; none without a log directory.
 */
export function lsfLogs(record: IClusterRecord, jobId: string): { stdout: string; stderr: string } | undefined {
  const dir = String(record.model.spec.options.log_directory ?? '').trim();
  const name = record.jobNames?.[jobId];
  if (dir === '' || name === undefined) {
    return undefined;
  }
  const base = path.join(dir, `${name}-${jobId}`);
  return { stdout: `${base}.out`, stderr: `${base}.err` };
}

/** The hooks of the `lsf` type. */
export function lsfHooks(options: ILsfHookOptions): ITypeHooks {
  const { commands } = options;
  return batchHooks({
    type: 'lsf',
    intervalMs: options.intervalMs,
    missing: () => commands.missing(),
    onPath: {
      host: 'an LSF login node',
      system: 'LSF',
      how: 'source $LSF_ENVDIR/profile.lsf, or module load lsf'
    },
    async form(context: IHookContext) {
      const [queues, config] = await Promise.all([commands.queues(), readJobqueueConfig(context, 'lsf')]);
      return lsfFormParts(queues, config, options.logDirectory);
    },
    values: lsfValues,
    refusals: async o => lsfLimitErrors(o, await commands.queues()),
    // bjobs lists every unfinished job of the user: the jobs named after a lost cluster too.
    watch: () => ({
      jobs: () => commands.jobs(),
      cancel: ids => commands.cancel(ids),
      walltimeOf: record => lsfSeconds(record.model.spec.options.walltime),
      logsOf: (record, job) => lsfLogs(record, job.id)
    })
  });
}
