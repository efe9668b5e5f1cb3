/**
 * The hooks of the `sge` type (definition.ts): what data cannot say. Whether
 * Grid Engine is here, its queues with their limits and the site's
 * jobqueue.sge defaults for the form, the directives that depend on the
 * cores, the limits checked before anything is submitted (Grid Engine keeps
 * a job that asks for more than its queue's h_rt waiting in qw for ever),
 * and the watcher of the jobs.
 */

import path from 'node:path';
import type { JSONSchema7 } from 'json-schema';
import type { IFieldError } from '../../../../protocol/index.js';
import type { Registry } from '../../clusters/registry.js';
import type { IFormParts, IHookContext, ITypeHooks } from '../definition.js';
import { readJobqueueConfig } from '../jobqueue/config.js';
import { parseDuration } from '../jobqueue/parse.js';
import { sgeEnd } from '../jobqueue/sge.js';
import type { IQueue } from '../jobqueue/types.js';
import { BatchJobWatcher } from '../jobqueue/watch.js';
import { formatSlurmTime as formatHms, workerLifetime } from '../slurm/walltime.js';
import type { ISgeCommands } from './commands.js';

/** What the hooks are given. */
export interface ISgeHookOptions {
  commands: ISgeCommands;
  /** The default log directory. */
  logDirectory: string;
  /** Between two qstat calls while SGE clusters exist. */
  intervalMs: number;
}

const FROM_CONFIG = 'your dask config (jobqueue.sge)';

/** Seconds of an SGE time (`HH:MM:SS`, `MM:SS`, seconds), or undefined. */
export function sgeSeconds(value: unknown): number | undefined {
  return typeof value === 'string' || typeof value === 'number' ? parseDuration(value) : undefined;
}

/** A queue's h_rt as the form and the messages say it. */
function limitText(queue: IQueue): string {
  const limit = queue.limits.walltime;
  return limit === undefined || limit === Infinity ? 'no time limit' : `h_rt ${formatHms(limit)}`;
}

/** A queue's line in the dropdown: its limits. */
export function queueTitle(queue: IQueue): string {
  const slots = queue.limits.slots !== undefined ? `, ${queue.limits.slots} slots per host` : '';
  return `${queue.name} — ${limitText(queue)}${slots}`;
}

function lines(value: unknown): string | undefined {
  return Array.isArray(value) ? value.map(String).join('\n') : typeof value === 'string' ? value : undefined;
}

function positive(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 ? value : undefined;
}

/** The form's computed parts from the queues, the parallel environments and jobqueue.sge. */
export function sgeFormParts(
  queues: IQueue[],
  pes: string[],
  config: Record<string, unknown>,
  logDirectory: string
): IFormParts {
  const options: Record<string, JSONSchema7> = {};
  const sources: Record<string, string> = {};
  const set = (field: string, fromConfig: unknown, fallback: unknown, why: string) => {
    options[field] = { ...options[field], default: (fromConfig ?? fallback) as JSONSchema7['default'] };
    sources[field] = fromConfig !== undefined ? FROM_CONFIG : why;
  };
  const configQueue = queues.some(q => q.name === config.queue) ? config.queue : undefined;
  const queue = queues.find(q => q.name === (configQueue ?? 'all.q')) ?? queues[0];
  options.queue = { enum: queues.map(q => q.name) };
  set('queue', configQueue, queue?.name ?? '', 'the first cluster queue (qconf -sql)');
  const limit = queue?.limits.walltime ?? Infinity;
  set(
    'walltime',
    sgeSeconds(config.walltime) !== undefined ? formatHms(sgeSeconds(config.walltime)!) : undefined,
    formatHms(Math.min(1800, limit)),
    "dask-jobqueue's 30 minutes (within the queue's h_rt)"
  );
  set('cores', positive(config.cores), 1, 'one core per job');
  set('processes', positive(config.processes), 1, 'one worker process per job');
  set('memory', typeof config.memory === 'string' ? config.memory : undefined, '2 GiB', '2 GiB per job');
  set('resource_spec', lines(config['resource-spec']), '', 'none');
  set('job_extra_directives', lines(config['job-extra-directives']), '', 'none');
  set('log_directory', lines(config['log-directory']), logDirectory, 'next to the cluster credentials');
  options.parallel_environment = { enum: pes.length > 0 ? pes : [''] };
  set(
    'parallel_environment',
    undefined,
    pes.includes('smp') ? 'smp' : (pes[0] ?? ''),
    'a parallel environment of qconf -spl'
  );
  return {
    options,
    sources,
    ui: {
      queue: { 'ui:enumNames': queues.map(queueTitle) },
      parallel_environment: { 'ui:enumNames': pes.length > 0 ? pes : ['none defined'] }
    }
  };
}

/** Non-empty lines of a text field. */
function textLines(value: unknown): string[] {
  return String(value ?? '')
    .split('\n')
    .map(line => line.trim())
    .filter(line => line !== '');
}

/** Values of the mapping computed from the options: walltime, worker lifetime, directives. */
export function sgeValues(o: Record<string, unknown>): Record<string, unknown> {
  const walltime = sgeSeconds(o.walltime) ?? 1800;
  const { lifetime, stagger } = workerLifetime(walltime);
  const cores = Number(o.cores);
  const pe = String(o.parallel_environment ?? '');
  return {
    h_rt: formatHms(walltime),
    lifetime: `${lifetime}s`,
    lifetime_stagger: `${stagger}s`,
    directives: [...textLines(o.job_extra_directives), ...(cores > 1 && pe !== '' ? [`-pe ${pe} ${cores}`] : [])],
    resources: String(o.resource_spec ?? '').trim() || undefined,
    log_dir: String(o.log_directory ?? '').trim()
  };
}

/** Problems with the options that Grid Engine would not report, or only by keeping the jobs waiting. */
export function sgeLimitErrors(o: Record<string, unknown>, queues: IQueue[]): IFieldError[] {
  const queue = queues.find(q => q.name === o.queue);
  if (queue === undefined) {
    return [
      {
        path: '/queue',
        message: `There is no queue "${String(o.queue)}" (qconf -sql lists ${queues.map(q => q.name).join(', ')}).`
      }
    ];
  }
  const fields: IFieldError[] = [];
  const walltime = sgeSeconds(o.walltime);
  const limit = queue.limits.walltime;
  if (walltime !== undefined && limit !== undefined && walltime > limit) {
    const longer = queues
      .filter(q => (q.limits.walltime ?? Infinity) >= walltime)
      .map(q => `${q.name} (${limitText(q)})`);
    fields.push({
      path: '/walltime',
      message: `Queue ${queue.name} allows at most ${formatHms(limit)} (h_rt); Grid Engine would keep a job of ${formatHms(walltime)} waiting in qw for ever. Choose at most ${formatHms(limit)}${longer.length > 0 ? `, or queue ${longer.join(' or ')}` : ''}.`
    });
  }
  const cores = Number(o.cores);
  const slots = queue.limits.slots;
  if (slots !== undefined && cores > slots) {
    fields.push({
      path: '/cores',
      message: `Queue ${queue.name} has ${slots} slots per host: a job of ${cores} cores would never start.`
    });
  }
  if (cores > 1 && String(o.parallel_environment ?? '') === '') {
    fields.push({
      path: '/parallel_environment',
      message: `A job of ${cores} cores needs a parallel environment, and Grid Engine has none (qconf -spl); ask your administrator, or use 1 core.`
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

/** The hooks of the `sge` type. */
export function sgeHooks(options: ISgeHookOptions): ITypeHooks {
  const { commands } = options;
  return {
    async available() {
      return commands.qsub() === undefined
        ? 'qsub is not on PATH: start JupyterLab on a Grid Engine submit host, with the SGE commands on PATH ' +
            '(e.g. source $SGE_ROOT/default/common/settings.sh, or module load sge), then reload.'
        : undefined;
    },
    async form(context: IHookContext) {
      const [queues, pes, config] = await Promise.all([
        commands.queues(),
        commands.parallelEnvironments(),
        readJobqueueConfig(context, 'sge')
      ]);
      return sgeFormParts(queues, pes, config, options.logDirectory);
    },
    values: sgeValues,
    async preSubmit(o) {
      return sgeLimitErrors(o, await commands.queues());
    },
    attach(registry: Registry) {
      return new BatchJobWatcher({
        type: 'sge',
        registry,
        jobs: () => commands.jobs(),
        cancel: ids => commands.cancel(ids),
        endedOf: async ids => new Map([...(await commands.ended(ids))].map(([id, end]) => [id, sgeEnd(end)])),
        intervalMs: options.intervalMs,
        walltimeOf: record => sgeSeconds(record.model.spec.options.walltime),
        logsOf: (record, job) => {
          const dir = record.model.spec.options.log_directory;
          // -j y: the error stream goes into the output file, $JOB_NAME.o$JOB_ID.
          return typeof dir === 'string' && dir !== '' && job.name !== undefined
            ? { stdout: path.join(dir, `${job.name}.o${job.id}`) }
            : undefined;
        }
      }).start();
    }
  };
}
