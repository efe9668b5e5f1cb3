/**
 * The SLURM type as the dialog sees it: JSON Schema of its options, form
 * hints, defaults (the user's jobqueue.yaml first) and where they came from.
 * Pure: built from partitions, environments and the jobqueue config.
 */

import type { JSONSchema7 } from 'json-schema';
import type { IClusterType, IDefaultSource } from '../../../../protocol/index.js';
import type { IEnvironmentInfo } from '../../envs/probe.js';
import { formatMemory, MEMORY_PATTERN, parseMemory } from '../../util/memory.js';
import {
  defaultEnvironment,
  defaultEnvironmentReason,
  environmentField,
  needsPackage,
  SCALING_FIELDS,
  scalingFields,
  WORKER_ENV_FIELD,
  WORKER_ENV_UI,
  workerEnvField
} from '../fields.js';
import type { IPartition } from './queries.js';
import { formatSlurmTime, parseSlurmTime, WALLTIME_PATTERN } from './walltime.js';

/** Options of a SLURM cluster once validated. */
export interface ISlurmOptions {
  environment: string;
  partition: string;
  account: string;
  qos: string;
  walltime: string;
  cores: number;
  memory: string;
  processes: number;
  workers: number;
  adaptive: boolean;
  adaptive_minimum: number;
  adaptive_maximum: number;
  job_name: string;
  job_extra_directives: string;
  job_script_prologue: string;
  worker_extra_args: string;
  interface: string;
  log_directory: string;
  local_directory: string;
  /** The workers' environment variables, NAME=value lines. */
  worker_env: string;
}

/** What the type is built from. */
export interface ISlurmTypeInput {
  available: boolean;
  reason?: string;
  partitions: IPartition[];
  environments: IEnvironmentInfo[];
  serverPython: string;
  /** jobqueue.slurm of the user's dask config, keys as jobqueueConfig spells them (empty when none). */
  jobqueue: Record<string, unknown>;
  /** Default log directory. */
  logDirectory: string;
}

/** Which environments can run SLURMCluster. */
export const slurmEnvironmentCheck = needsPackage('dask-jobqueue', 'dask_jobqueue');

export { jobqueueConfig } from '../jobqueue/config.js';

function lines(value: unknown): string | undefined {
  if (Array.isArray(value)) {
    return value.map(String).join('\n');
  }
  return typeof value === 'string' ? value : undefined;
}

/** A partition's line in the dropdown: limits and state. */
export function partitionTitle(p: IPartition): string {
  const limit = p.maxTime === Infinity ? 'no time limit' : `max ${formatSlurmTime(p.maxTime)}`;
  return `${p.name}${p.isDefault ? ' (default)' : ''} — ${limit}, ${p.cpusPerNode} CPUs and ${formatMemory(p.memoryPerNode)} per node, ${p.state}${
    p.nodeStates.length > 0 ? ` (${p.nodeStates.join(', ')})` : ''
  }`;
}

const FROM_CONFIG = 'your dask config (jobqueue.slurm)';

/** The SLURM type. */
// eslint-disable-next-line max-lines-per-function -- one declarative schema of the SLURM type's fields, read top to bottom like the form
export function buildSlurmType(input: ISlurmTypeInput): IClusterType {
  const { partitions, environments, jobqueue } = input;
  const sources: IDefaultSource[] = [];
  const pick = <T>(field: string, fromConfig: T | undefined, fallback: T, why: string): T => {
    const value = fromConfig ?? fallback;
    sources.push({ field, value, source: fromConfig !== undefined ? FROM_CONFIG : why });
    return value;
  };
  const check = slurmEnvironmentCheck;
  const env = defaultEnvironment(environments, input.serverPython, check);
  const usable = env !== undefined && check(env) === undefined;
  const why = defaultEnvironmentReason(env, input.serverPython);
  const environment = environmentField(environments, {
    default: usable ? env : undefined,
    why,
    check,
    description:
      'Python environment of the scheduler and the workers; it needs dask-jobqueue and must exist on the compute nodes too.'
  });
  if (usable) {
    sources.push({ field: 'environment', value: env.python, source: why });
  }
  const configQueue =
    typeof jobqueue.queue === 'string' && partitions.some(p => p.name === jobqueue.queue) ? jobqueue.queue : undefined;
  const fallbackPartition = partitions.find(p => p.isDefault) ?? partitions[0];
  const partition = pick('partition', configQueue, fallbackPartition?.name ?? '', "SLURM's default partition");
  const part = partitions.find(p => p.name === partition);
  const configWalltime =
    typeof jobqueue.walltime === 'string' && parseSlurmTime(jobqueue.walltime) !== undefined
      ? jobqueue.walltime
      : undefined;
  const walltime = pick(
    'walltime',
    configWalltime,
    formatSlurmTime(Math.min(1800, part?.maxTime ?? 1800)),
    "dask-jobqueue's 30 minutes (within the partition's limit)"
  );
  const num = (value: unknown) =>
    typeof value === 'number' && Number.isInteger(value) && value >= 1 ? value : undefined;
  const cores = pick('cores', num(jobqueue.cores), 1, 'one core per job');
  const configMemory =
    typeof jobqueue.memory === 'string' && parseMemory(jobqueue.memory) !== undefined ? jobqueue.memory : undefined;
  const memory = pick('memory', configMemory, '2 GiB', '2 GiB per job');
  const processes = pick('processes', num(jobqueue.processes), 1, 'one worker process per job');
  const account = pick('account', typeof jobqueue.account === 'string' ? jobqueue.account : undefined, '', 'none');
  const jobName = pick(
    'job_name',
    typeof jobqueue.name === 'string' && /^[\w.-]+$/.test(jobqueue.name) ? jobqueue.name : undefined,
    'dask-worker',
    "dask-jobqueue's name"
  );
  const interfaceName = pick(
    'interface',
    typeof jobqueue.interface === 'string' ? jobqueue.interface : undefined,
    '',
    "dask's choice"
  );
  const logDirectory = pick(
    'log_directory',
    typeof jobqueue['log-directory'] === 'string' ? jobqueue['log-directory'] : undefined,
    input.logDirectory,
    'next to the cluster credentials'
  );
  const localDirectory = pick(
    'local_directory',
    typeof jobqueue['local-directory'] === 'string' ? jobqueue['local-directory'] : undefined,
    '',
    "the job's working directory"
  );
  const directives = pick('job_extra_directives', lines(jobqueue['job-extra-directives']), '', 'none');
  const prologue = pick('job_script_prologue', lines(jobqueue['job-script-prologue']), '', 'none');
  const workerArgs = pick('worker_extra_args', lines(jobqueue['worker-extra-args']), '', 'none');

  const scalingDefaults = { workers: 2, adaptive: false, adaptive_minimum: 0, adaptive_maximum: 4 };
  const defaults: Record<string, unknown> = {
    environment: usable ? env.python : undefined,
    partition,
    account,
    qos: '',
    walltime,
    cores,
    memory,
    processes,
    ...scalingDefaults,
    job_name: jobName,
    job_extra_directives: directives,
    job_script_prologue: prologue,
    worker_extra_args: workerArgs,
    interface: interfaceName,
    log_directory: logDirectory,
    local_directory: localDirectory,
    [WORKER_ENV_FIELD]: ''
  };
  const str = (title: string, description: string, extra: JSONSchema7 = {}): JSONSchema7 => ({
    type: 'string',
    title,
    description,
    ...extra
  });
  const int = (title: string, description: string, minimum: number): JSONSchema7 => ({
    type: 'integer',
    title,
    description,
    minimum
  });
  const schema: JSONSchema7 = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'object',
    additionalProperties: false,
    required: ['environment', 'partition', 'walltime', 'cores', 'memory'],
    properties: {
      environment: environment.schema,
      partition: str(
        'Partition',
        'SLURM partition (queue) the worker jobs go to; its limits are checked before anything is submitted.',
        {
          enum: partitions.map(p => p.name)
        }
      ),
      account: str('Account', 'Account charged for the jobs (sbatch --account); empty: your default.'),
      qos: str('QOS', 'Quality of service (sbatch --qos); empty: the default.'),
      walltime: str(
        'Walltime',
        'Time limit of each worker job, e.g. 01:00:00 or 1-00:00:00. Workers retire a few minutes before it, staggered, so an adaptive cluster replaces them before SLURM kills them.',
        {
          pattern: WALLTIME_PATTERN
        }
      ),
      cores: int('Cores per job', 'CPUs of each job, shared by its worker processes.', 1),
      memory: str('Memory per job', 'Memory of each job, e.g. 4 GiB (GiB = 2^30 bytes; SLURM writes G).', {
        pattern: MEMORY_PATTERN
      }),
      processes: int(
        'Worker processes per job',
        'Dask workers in each job; cores and memory are split between them.',
        1
      ),
      ...scalingFields(scalingDefaults, {
        workers: `Number of workers (jobs = workers / processes per job). Default ${scalingDefaults.workers}.`
      }),
      job_name: str('Job name', 'Name of the jobs in squeue; the cluster id is appended.', {
        pattern: '^[A-Za-z0-9_.-]+$'
      }),
      job_extra_directives: str(
        'Extra #SBATCH directives',
        'One per line, without "#SBATCH", e.g. --constraint=haswell.'
      ),
      job_script_prologue: str(
        'Script prologue',
        'Shell lines run before the worker starts, e.g. module load python or source activate myenv.'
      ),
      worker_extra_args: str(
        'Extra worker arguments',
        'Arguments added to the dask worker command line, e.g. --resources GPU=1.'
      ),
      interface: str(
        'Network interface',
        'Interface the scheduler and workers use (e.g. ib0, eth0) when workers cannot reach the scheduler; empty: dask picks.'
      ),
      log_directory: str('Log directory', "Where each job's output and error files go (shown in the sidebar)."),
      local_directory: str(
        'Local directory',
        'Scratch directory for workers on the compute node, e.g. $TMPDIR or /scratch/$USER; empty: the job working directory.'
      ),
      [WORKER_ENV_FIELD]: workerEnvField('exported at the start of the job script prologue')
    }
  };
  for (const [name, value] of Object.entries(defaults)) {
    const property = schema.properties?.[name];
    if (typeof property === 'object' && value !== undefined) {
      property.default = value as JSONSchema7['default'];
    }
  }
  const textarea = { 'ui:widget': 'textarea', 'ui:options': { rows: 2 } };
  const uiSchema: Record<string, unknown> = {
    'ui:order': Object.keys(defaults),
    'ui:groups': [
      { title: 'Where it runs', fields: ['environment', 'partition', 'account', 'qos'] },
      { title: 'How big', fields: ['cores', 'memory', 'processes', 'workers'] },
      { title: 'How long', fields: ['walltime'] },
      // Workers is sized with the jobs, above; the adaptive fields follow.
      { title: 'How it scales', fields: SCALING_FIELDS.slice(1) },
      {
        title: 'Advanced',
        fields: [
          'job_name',
          'job_extra_directives',
          'job_script_prologue',
          'worker_extra_args',
          'interface',
          'log_directory',
          'local_directory',
          WORKER_ENV_FIELD
        ],
        collapsed: true
      }
    ],
    environment: environment.ui,
    partition: {
      'ui:enumNames': partitions.map(partitionTitle),
      'ui:enumDisabled': partitions.filter(p => p.state !== 'up').map(p => p.name)
    },
    job_extra_directives: textarea,
    job_script_prologue: textarea,
    worker_extra_args: textarea,
    [WORKER_ENV_FIELD]: WORKER_ENV_UI
  };
  let reason = input.reason;
  if (input.available && !usable) {
    reason = 'No Python environment here has dask-jobqueue: pip install dask-jobqueue in the environment of a kernel.';
  }
  return {
    id: 'slurm',
    title: 'SLURM',
    description: 'Workers are SLURM batch jobs (dask-jobqueue); the scheduler runs here and speaks TLS.',
    available: input.available && usable,
    ...(reason !== undefined && !(input.available && usable) ? { reason } : {}),
    schema,
    uiSchema,
    defaults,
    sources,
    preview: true
  };
}
