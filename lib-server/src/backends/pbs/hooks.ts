/**
 * The hooks of the `pbs` type (definition.ts): what data cannot say. Whether
 * PBS is here, its queues with their limits and the site's jobqueue.pbs
 * defaults for the form, the walltime and worker lifetime, the limits
 * checked before anything is submitted (qsub refuses a job above its
 * queue's resources_max), and the watcher of the jobs and their log files.
 */

import type { IFieldError } from '../../../../protocol/index.js';
import type { IFormParts, IHookContext, ITypeHooks } from '../definition.js';
import { readJobqueueConfig } from '../jobqueue/config.js';
import {
  batchHooks,
  commonDefaults,
  configLines,
  formatHms,
  formDefaults,
  given,
  jobNameOf,
  knownJobIds,
  queueDefaults,
  sizeErrors,
  textLines,
  unknownQueue,
  walltimeError,
  workerArgs,
  type ILimitWords
} from '../jobqueue/hooks.js';
import { parseDuration } from '../jobqueue/parse.js';
import type { IPbsLogs } from '../jobqueue/pbs.js';
import type { IQueue } from '../jobqueue/types.js';
import type { IPbsCommands } from './commands.js';

/** What the hooks are given. */
export interface IPbsHookOptions {
  commands: IPbsCommands;
  /** The default log directory. */
  logDirectory: string;
  /** Between two status passes while PBS clusters exist. */
  intervalMs: number;
}

const WORDS: ILimitWords = { system: 'PBS', limitName: 'resources_max.walltime', format: formatHms };

/** Seconds of a PBS walltime (`HH:MM:SS`, `MM:SS`, seconds), or undefined. */
export function pbsSeconds(value: unknown): number | undefined {
  return typeof value === 'string' || typeof value === 'number' ? parseDuration(value) : undefined;
}

/** The form's computed parts from the queues and jobqueue.pbs. */
export function pbsFormParts(queues: IQueue[], config: Record<string, unknown>, logDirectory: string): IFormParts {
  const d = formDefaults('pbs');
  const ui = queueDefaults(d, queues, config, {
    words: WORDS,
    openStates: ['enabled'],
    // workq is the queue a PBS server is installed with.
    preferred: 'workq',
    listCommand: 'qstat -Q',
    seconds: pbsSeconds
  });
  d.set('account', given(config.account), '', 'none ($PBS_ACCOUNT when set)');
  d.set('resource_spec', configLines(config['resource-spec']), '', 'select=1 with the cores and memory');
  d.set('job_extra_directives', configLines(config['job-extra-directives']), '', 'none');
  commonDefaults(d, config, logDirectory);
  return { options: d.options, sources: d.sources, ui };
}

/** Values of the mapping computed from the options: walltime, worker lifetime, directives, resources. */
export function pbsValues(o: Record<string, unknown>): Record<string, unknown> {
  const walltime = pbsSeconds(o.walltime) ?? 1800;
  return {
    walltime_arg: formatHms(walltime),
    account_arg: given(o.account),
    worker_args: workerArgs(walltime),
    directives: textLines(o.job_extra_directives),
    resources: given(o.resource_spec),
    log_dir: String(o.log_directory ?? '').trim()
  };
}

/** What qsub would refuse (or PBS never run): a queue that is not there or takes no jobs, limits above its resources_max. */
export function pbsLimitErrors(o: Record<string, unknown>, queues: IQueue[]): IFieldError[] {
  const queue = queues.find(q => q.name === o.queue);
  if (queue === undefined) {
    return [unknownQueue(o.queue, queues, 'qstat -Q')];
  }
  const others = queues.filter(q => q !== queue && q.state === 'enabled').map(q => q.name);
  const instead = others.length > 0 ? ` (${others.join(', ')})` : '';
  if (queue.state === 'disabled' || queue.state === 'stopped') {
    const what =
      queue.state === 'disabled'
        ? 'is disabled (enabled = False): qsub would refuse the jobs'
        : 'is stopped (started = False): its jobs would wait until an administrator starts it';
    return [{ path: '/queue', message: `Queue ${queue.name} ${what}; choose another queue${instead}.` }];
  }
  const walltime = walltimeError(pbsSeconds(o.walltime), queue, queues, WORDS);
  return [...(walltime !== undefined ? [walltime] : []), ...sizeErrors(o, queue)];
}

/** The hooks of the `pbs` type. */
export function pbsHooks(options: IPbsHookOptions): ITypeHooks {
  const { commands } = options;
  return batchHooks({
    type: 'pbs',
    intervalMs: options.intervalMs,
    missing: () => commands.missing(),
    foreign: () => commands.foreign(),
    onPath: { host: 'a PBS login node', system: 'PBS', how: 'module load pbs, or add /opt/pbs/bin to PATH' },
    async form(context: IHookContext) {
      const [queues, config] = await Promise.all([commands.queues(), readJobqueueConfig(context, 'pbs')]);
      return pbsFormParts(queues, config, options.logDirectory);
    },
    values: pbsValues,
    refusals: async o => pbsLimitErrors(o, await commands.queues()),
    watch: registry => {
      // The shared watcher hands logsOf plain rows: keep the files of the last qstat pass by job id.
      let logs = new Map<string, IPbsLogs>();
      return {
        // One qstat a known job: qstat -f -F json takes no user filter (-u breaks the JSON).
        async jobs() {
          const jobs = await commands.jobs(knownJobIds(registry, 'pbs'));
          logs = new Map(jobs.flatMap((job): [string, IPbsLogs][] => (job.logs ? [[job.id, job.logs]] : [])));
          return jobs;
        },
        cancel: async (ids, record) => {
          const named = await commands.named(jobNameOf(record)).catch(() => []);
          await commands.cancel([...new Set([...ids, ...named])]);
        },
        walltimeOf: record => pbsSeconds(record.model.spec.options.walltime),
        logsOf: (_record, job) => logs.get(job.id)
      };
    }
  });
}
