/**
 * The hooks of the `slurm` type (definition.ts): what data cannot say.
 * Whether SLURM is here, its partitions with their limits and the site's
 * jobqueue.slurm defaults for the form, the walltime and worker lifetime,
 * the limits checked before anything is submitted and then `sbatch
 * --test-only` with the culprit directive named, the cap on jobs, and the
 * watcher of the jobs.
 */

import type { JSONSchema7 } from 'json-schema';
import type { IClusterModel, IFieldError, IScaling } from '../../../../protocol/index.js';
import type { Registry } from '../../clusters/registry.js';
import { formatMemory, parseMemory } from '../../util/memory.js';
import type { IFormParts, IHookContext, ISubmitContext, ITypeHooks } from '../definition.js';
import { readJobqueueConfig } from '../jobqueue/config.js';
import { slurmJobWatcher } from './jobs.js';
import { partitionProblem, type IPartition, type ISlurmCommands } from './queries.js';
import { formatSlurmTime, lifetimeArgs, parseSlurmTime } from './walltime.js';

/** What the hooks are given. */
export interface ISlurmHookOptions {
  commands: ISlurmCommands;
  /** The default log directory. */
  logDirectory: string;
  /** Between two squeue calls while SLURM clusters exist. */
  intervalMs: number;
}

const FROM_CONFIG = 'your dask config (jobqueue.slurm)';

/** A partition's line in the dropdown: limits and state. */
export function partitionTitle(p: IPartition): string {
  const limit = p.maxTime === Infinity ? 'no time limit' : `max ${formatSlurmTime(p.maxTime)}`;
  return `${p.name}${p.isDefault ? ' (default)' : ''} — ${limit}, ${p.cpusPerNode} CPUs and ${formatMemory(p.memoryPerNode)} per node, ${p.state}${
    p.nodeStates.length > 0 ? ` (${p.nodeStates.join(', ')})` : ''
  }`;
}

function joined(value: unknown): string | undefined {
  if (Array.isArray(value)) {
    return value.map(String).join('\n');
  }
  return typeof value === 'string' ? value : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function positive(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 ? value : undefined;
}

/** The form's computed parts from the partitions and jobqueue.slurm (keys as jobqueueConfig spells them). */
export function slurmFormParts(
  partitions: IPartition[],
  jobqueue: Record<string, unknown>,
  logDirectory: string
): IFormParts {
  const options: Record<string, JSONSchema7> = {};
  const sources: Record<string, string> = {};
  const pick = <T>(field: string, fromConfig: T | undefined, fallback: T, why: string): T => {
    const value = fromConfig ?? fallback;
    options[field] = { ...options[field], default: value as JSONSchema7['default'] };
    sources[field] = fromConfig !== undefined ? FROM_CONFIG : why;
    return value;
  };
  options.partition = { enum: partitions.map(p => p.name) };
  const configQueue =
    typeof jobqueue.queue === 'string' && partitions.some(p => p.name === jobqueue.queue) ? jobqueue.queue : undefined;
  const fallbackPartition = partitions.find(p => p.isDefault) ?? partitions[0];
  const partition = pick('partition', configQueue, fallbackPartition?.name ?? '', "SLURM's default partition");
  const part = partitions.find(p => p.name === partition);
  const configWalltime =
    typeof jobqueue.walltime === 'string' && parseSlurmTime(jobqueue.walltime) !== undefined
      ? jobqueue.walltime
      : undefined;
  pick(
    'walltime',
    configWalltime,
    formatSlurmTime(Math.min(1800, part?.maxTime ?? 1800)),
    "dask-jobqueue's 30 minutes (within the partition's limit)"
  );
  pick('cores', positive(jobqueue.cores), 1, 'one core per job');
  const configMemory =
    typeof jobqueue.memory === 'string' && parseMemory(jobqueue.memory) !== undefined ? jobqueue.memory : undefined;
  pick('memory', configMemory, '2 GiB', '2 GiB per job');
  pick('processes', positive(jobqueue.processes), 1, 'one worker process per job');
  pick('account', text(jobqueue.account), '', 'none');
  const name = text(jobqueue.name);
  pick(
    'job_name',
    name !== undefined && /^[\w.-]+$/.test(name) ? name : undefined,
    'dask-worker',
    "dask-jobqueue's name"
  );
  pick('interface', text(jobqueue.interface), '', "dask's choice");
  pick('log_directory', text(jobqueue['log-directory']), logDirectory, 'next to the cluster credentials');
  pick('local_directory', text(jobqueue['local-directory']), '', "the job's working directory");
  pick('job_extra_directives', joined(jobqueue['job-extra-directives']), '', 'none');
  pick('job_script_prologue', joined(jobqueue['job-script-prologue']), '', 'none');
  pick('worker_extra_args', joined(jobqueue['worker-extra-args']), '', 'none');
  return {
    options,
    sources,
    ui: {
      partition: {
        'ui:enumNames': partitions.map(partitionTitle),
        'ui:enumDisabled': partitions.filter(p => p.state !== 'up').map(p => p.name)
      }
    }
  };
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

/** Problems with the options that the schema does not say in SLURM's terms: times, partitions, sizes. */
export function slurmOptionErrors(options: Record<string, unknown>, partitions: IPartition[]): IFieldError[] {
  const fields: IFieldError[] = [];
  if (typeof options.walltime === 'string' && parseSlurmTime(options.walltime) === undefined) {
    fields.push({
      path: '/walltime',
      message: `Walltime "${options.walltime}" is not a SLURM time; write HH:MM:SS (e.g. 01:00:00) or D-HH:MM:SS.`
    });
  }
  if (typeof options.partition === 'string' && !partitions.some(p => p.name === options.partition)) {
    fields.push({
      path: '/partition',
      message: `There is no partition "${options.partition}"; choose one of ${partitions.map(p => p.name).join(', ') || '(none: sinfo lists no partition)'}.`
    });
  }
  if (typeof options.memory === 'string' && parseMemory(options.memory) === undefined) {
    fields.push({
      path: '/memory',
      message: `Memory per job "${options.memory}" is not a memory size; write e.g. 4 GiB.`
    });
  }
  fields.push(...partitionErrors(options, partitions));
  if (typeof options.processes === 'number' && typeof options.cores === 'number' && options.processes > options.cores) {
    fields.push({
      path: '/processes',
      message: `Worker processes per job (${options.processes}) is more than Cores per job (${options.cores}); each process needs a core.`
    });
  }
  return fields.filter((field, i) => fields.findIndex(f => f.path === field.path && f.message === field.message) === i);
}

/** Non-empty lines of a text field. */
function lines(value: unknown): string[] {
  return String(value ?? '')
    .split('\n')
    .map(line => line.trim())
    .filter(line => line !== '');
}

/** A text option, trimmed; undefined (no keyword argument) when empty. */
function given(value: unknown): string | undefined {
  const trimmed = String(value ?? '').trim();
  return trimmed !== '' ? trimmed : undefined;
}

/** The #SBATCH directives the user wrote: extra directive lines, and the QOS. */
function ownDirectives(o: Record<string, unknown>): { path: string; directive: string }[] {
  const qos = given(o.qos);
  return [
    ...lines(o.job_extra_directives).map(directive => ({ path: '/job_extra_directives', directive })),
    ...(qos !== undefined ? [{ path: '/qos', directive: `--qos=${qos}` }] : [])
  ];
}

/** Values of the mapping computed from the options: walltime, lifetime, directives, prologue, worker arguments. */
export function slurmValues(o: Record<string, unknown>, values: Record<string, unknown>): Record<string, unknown> {
  const walltime = (typeof o.walltime === 'string' ? parseSlurmTime(o.walltime) : undefined) ?? 1800;
  const exports = Array.isArray(values.worker_env_exports) ? values.worker_env_exports.map(String) : [];
  return {
    account_arg: given(o.account),
    time: formatSlurmTime(walltime),
    memory_arg: String(o.memory ?? '').replace(/\s+/g, ''),
    directives: ownDirectives(o).map(own => own.directive),
    prologue: [...exports, ...lines(o.job_script_prologue)],
    worker_args: [
      '--no-dashboard',
      '--dashboard-address',
      '127.0.0.1:0',
      ...lifetimeArgs(walltime),
      ...lines(o.worker_extra_args).flatMap(line => line.split(/\s+/))
    ],
    interface_arg: given(o.interface),
    log_directory_arg: given(o.log_directory),
    local_directory_arg: given(o.local_directory)
  };
}

/** `script` without its `#SBATCH <directive>` line(s). */
function withoutDirective(script: string, directive: string): string {
  return script
    .split('\n')
    .filter(line => !(line.startsWith('#SBATCH ') && line.slice('#SBATCH '.length).trim() === directive))
    .join('\n');
}

/**
 * sbatch's own verdict on the script: its message word for word, on the
 * field to change. When the script passes without one of the user's own
 * directives (extra #SBATCH lines, QOS), that directive is the one named.
 */
export async function sbatchErrors(
  commands: ISlurmCommands,
  script: string,
  o: Record<string, unknown>
): Promise<IFieldError[]> {
  const message = await commands.testScript(script);
  if (message === undefined) {
    return [];
  }
  const refused = `sbatch refuses this job: ${message}`;
  const culprits: { path: string; directive: string }[] = [];
  for (const own of ownDirectives(o)) {
    if ((await commands.testScript(withoutDirective(script, own.directive))) === undefined) {
      culprits.push(own);
    }
  }
  if (culprits.length === 0) {
    return [
      {
        path: '',
        message: `${refused} — check the partition, account, QOS, cores, memory and extra #SBATCH directives.`
      }
    ];
  }
  return culprits.map(({ path: field, directive }) => ({
    path: field,
    message:
      field === '/qos'
        ? `${refused} — without --qos it would be accepted: change or clear QOS.`
        : `${refused} — without ${directive} it would be accepted: change or remove that line of Extra #SBATCH directives.`
  }));
}

/** At most this many jobs at once. */
const MOST_JOBS = 1000;

/** The cap on jobs of a scaling request. */
export function slurmScalingErrors(_cluster: IClusterModel, scaling: IScaling): IFieldError[] {
  const count = scaling.mode === 'fixed' ? scaling.workers : scaling.maximum;
  if (count > MOST_JOBS) {
    return [
      {
        path: scaling.mode === 'fixed' ? '/workers' : '/maximum',
        message: `${count} workers is more jobs than a SLURM queue should get at once; use at most ${MOST_JOBS}.`
      }
    ];
  }
  return [];
}

/** The hooks of the `slurm` type. */
export function slurmHooks(options: ISlurmHookOptions): ITypeHooks {
  const { commands } = options;
  return {
    async available() {
      return commands.available()
        ? undefined
        : 'sbatch is not on PATH: start JupyterLab on a SLURM login node, with the SLURM commands on PATH ' +
            '(e.g. module load slurm, or add the directory that holds sbatch to PATH), then reload.';
    },
    async form(context: IHookContext) {
      const [partitions, jobqueue] = await Promise.all([commands.partitions(), readJobqueueConfig(context, 'slurm')]);
      return slurmFormParts(partitions, jobqueue, options.logDirectory);
    },
    values: slurmValues,
    async preSubmit(o: Record<string, unknown>, _values: Record<string, unknown>, submit: ISubmitContext) {
      const fields = slurmOptionErrors(o, await commands.partitions());
      return fields.length > 0 ? fields : sbatchErrors(commands, await submit.jobScript(), o);
    },
    checkScaling: slurmScalingErrors,
    attach(registry: Registry) {
      return slurmJobWatcher({ registry, commands, intervalMs: options.intervalMs }).start();
    }
  };
}
