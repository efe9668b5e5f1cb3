/** The `slurm` cluster type: dask_jobqueue.SLURMCluster, workers as batch jobs. */

import path from 'node:path';
import type { IClusterModel, ICreateRequest, IFieldError, IScaling } from '../../../../protocol/index.js';
import { scalingFromOptions } from '../../clusters/scaling.js';
import type { Registry } from '../../clusters/registry.js';
import type { IEnvironmentInfo } from '../../envs/probe.js';
import { runRunnerJson } from '../../runner/json.js';
import { which } from '../../envs/discovery.js';
import type { IBackend, IDescribeQuery, PlanResult } from '../backend.js';
import { clientSnippet, securityDirectory } from '../tls.js';
import { exportLines } from '../fields.js';
import { slurmJobName, SlurmJobWatcher } from './jobs.js';
import { realSlurmCommands, type IPartition, type ISlurmCommands } from './queries.js';
import { buildSlurmType, jobqueueConfig, type ISlurmOptions } from './schema.js';
import { resolveSlurmOptions } from './validate.js';
import { formatSlurmTime, lifetimeArgs, parseSlurmTime } from './walltime.js';

/** What the SLURM backend needs from its surroundings. */
export interface ISlurmBackendOptions {
  environments: () => Promise<IEnvironmentInfo[]>;
  serverPython: string;
  runnerPath: string;
  commands: ISlurmCommands;
  /** Runs a runner subcommand with JSON on stdin and returns its JSON. */
  runRunner: (python: string, args: string[], input: unknown) => Promise<unknown>;
  /**
   * Base of the per-cluster credential directories: on a filesystem the
   * compute nodes share (the home directory by default).
   */
  sharedBase: string;
  /** Between two squeue calls while SLURM clusters exist. */
  squeueIntervalMs: number;
}

/** Non-empty lines of a text field. */
function lines(text: string): string[] {
  return text
    .split('\n')
    .map(line => line.trim())
    .filter(line => line !== '');
}

/** The #SBATCH directives the user wrote: extra directive lines, and the QOS. */
function ownDirectives(o: ISlurmOptions): { path: string; directive: string }[] {
  return [
    ...lines(o.job_extra_directives).map(directive => ({ path: '/job_extra_directives', directive })),
    ...(o.qos.trim() !== '' ? [{ path: '/qos', directive: `--qos=${o.qos.trim()}` }] : [])
  ];
}

/** `script` without its `#SBATCH <directive>` line(s). */
function withoutDirective(script: string, directive: string): string {
  return script
    .split('\n')
    .filter(line => !(line.startsWith('#SBATCH ') && line.slice('#SBATCH '.length).trim() === directive))
    .join('\n');
}

/** Validated options and the workers' environment variables they give. */
export interface IResolvedSlurm {
  options: ISlurmOptions;
  workerEnv: Record<string, string>;
}

/** SLURMCluster keyword arguments of validated options. */
export function slurmKwargs(resolved: IResolvedSlurm, clusterId: string, securityDir: string): Record<string, unknown> {
  const o = resolved.options;
  const walltime = parseSlurmTime(o.walltime) ?? 1800;
  const directives = lines(o.job_extra_directives);
  if (o.qos.trim() !== '') {
    directives.push(`--qos=${o.qos.trim()}`);
  }
  return {
    queue: o.partition,
    ...(o.account.trim() !== '' ? { account: o.account.trim() } : {}),
    walltime: formatSlurmTime(walltime),
    cores: o.cores,
    // dask-jobqueue parses it with dask.utils.parse_bytes; no spaces keeps the script tidy.
    memory: o.memory.replace(/\s+/g, ''),
    processes: o.processes,
    job_name: slurmJobName(o.job_name, clusterId),
    job_extra_directives: directives,
    // The variables first, so the user's own prologue lines can use them.
    job_script_prologue: [...exportLines(resolved.workerEnv), ...lines(o.job_script_prologue)],
    // A worker's HTTP server (health, metrics) always runs: on loopback, since
    // it is plain HTTP; no Bokeh dashboard on the compute node at all.
    worker_extra_args: [
      '--no-dashboard',
      '--dashboard-address',
      '127.0.0.1:0',
      ...lifetimeArgs(walltime),
      ...lines(o.worker_extra_args).flatMap(line => line.split(/\s+/))
    ],
    ...(o.interface.trim() !== '' ? { interface: o.interface.trim() } : {}),
    ...(o.log_directory.trim() !== '' ? { log_directory: o.log_directory.trim() } : {}),
    ...(o.local_directory.trim() !== '' ? { local_directory: o.local_directory.trim() } : {}),
    security_directory: securityDir,
    // The job script refers to the credentials there: the same in the preview and the submission.
    shared_temp_directory: securityDir,
    silence_logs: false,
    // The companion reaches the dashboard from this host; nobody else needs it.
    scheduler_options: { dashboard_address: '127.0.0.1:0' }
  };
}

/** The class SLURM clusters are made of. */
export const SLURM_CLASS = 'dask_jobqueue.SLURMCluster';

/** The SLURM backend. */
// eslint-disable-next-line max-lines-per-function -- a closure whose helpers and backend methods share the SLURM commands and context
export function createSlurmBackend(options: ISlurmBackendOptions): IBackend {
  const context = async () => {
    const environments = await options.environments();
    const available = options.commands.available();
    let partitions: IPartition[] = [];
    let reason: string | undefined = available
      ? undefined
      : 'sbatch is not on PATH: start JupyterLab on a SLURM login node, with the SLURM commands on PATH ' +
        '(e.g. module load slurm, or add the directory that holds sbatch to PATH), then reload.';
    if (available) {
      try {
        partitions = await options.commands.partitions();
      } catch (error) {
        reason = `SLURM does not answer: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
    let jobqueue: Record<string, unknown> = {};
    const python =
      environments.find(e => e.python === options.serverPython && e.usable)?.python ?? options.serverPython;
    if (available) {
      try {
        const answer = (await options.runRunner(python, ['config', 'jobqueue.slurm'], {})) as { config?: unknown };
        jobqueue = jobqueueConfig(answer.config);
      } catch {
        // No dask in the server's environment: dask-jobqueue's defaults, then ours.
      }
    }
    const type = buildSlurmType({
      available: available && reason === undefined,
      reason,
      partitions,
      environments,
      serverPython: options.serverPython,
      jobqueue,
      logDirectory: path.join(options.sharedBase, 'logs')
    });
    return { type, partitions, environments };
  };

  const resolve = async (
    request: ICreateRequest
  ): Promise<{ fields: IFieldError[] } | (IResolvedSlurm & { environments: IEnvironmentInfo[] })> => {
    const c = await context();
    if (!c.type.available) {
      return { fields: [{ path: '', message: c.type.reason ?? 'SLURM is not available here.' }] };
    }
    const resolved = resolveSlurmOptions(request.options ?? {}, c);
    return 'fields' in resolved ? resolved : { ...resolved, environments: c.environments };
  };

  const script = async (resolved: IResolvedSlurm, clusterId: string): Promise<string> => {
    const answer = (await options.runRunner(resolved.options.environment, ['job-script'], {
      cluster_class: SLURM_CLASS,
      kwargs: slurmKwargs(resolved, clusterId, securityDirectory(options.sharedBase, clusterId))
    })) as { script?: unknown };
    if (typeof answer.script !== 'string') {
      throw new Error('runner.py job-script printed no script');
    }
    return answer.script;
  };

  /**
   * sbatch's own verdict on the script: its message word for word, on the
   * field to change. When the script passes without one of the user's own
   * directives (extra #SBATCH lines, QOS), that directive is the one named.
   */
  const sbatchErrors = async (text: string, o: ISlurmOptions): Promise<IFieldError[]> => {
    const message = await options.commands.testScript(text);
    if (message === undefined) {
      return [];
    }
    const refused = `sbatch refuses this job: ${message}`;
    const culprits: { path: string; directive: string }[] = [];
    for (const own of ownDirectives(o)) {
      if ((await options.commands.testScript(withoutDirective(text, own.directive))) === undefined) {
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
  };

  return {
    id: 'slurm',

    async describe(_query: IDescribeQuery) {
      return (await context()).type;
    },

    async preview(request: ICreateRequest) {
      const resolved = await resolve(request);
      if ('fields' in resolved) {
        return { fields: resolved.fields };
      }
      const text = await script(resolved, '<cluster-id>');
      const fields = await sbatchErrors(text, resolved.options);
      return fields.length > 0 ? { fields } : { script: text };
    },

    async plan(request: ICreateRequest, clusterId: string): Promise<PlanResult> {
      const resolved = await resolve(request);
      if ('fields' in resolved) {
        return { fields: resolved.fields };
      }
      const o = resolved.options;
      const fields = await sbatchErrors(await script(resolved, clusterId), o);
      if (fields.length > 0) {
        return { fields };
      }
      const environment = resolved.environments.find(env => env.python === o.environment);
      const scaling = scalingFromOptions(o);
      const dir = securityDirectory(options.sharedBase, clusterId);
      const kwargs = slurmKwargs(resolved, clusterId, dir);
      return {
        plan: {
          spec: { type: 'slurm', ...(request.name ? { name: request.name } : {}), options: { ...o } },
          environment: { python: o.environment, label: environment?.label ?? o.environment },
          scaling,
          workDirs: [dir],
          start: {
            op: 'start',
            cluster_id: clusterId,
            cluster_class: SLURM_CLASS,
            kwargs: { ...kwargs, n_workers: o.adaptive ? o.adaptive_minimum : o.workers },
            config: {},
            scaling
          }
        }
      };
    },

    checkScaling(_cluster: IClusterModel, scaling: IScaling): IFieldError[] {
      const count = scaling.mode === 'fixed' ? scaling.workers : scaling.maximum;
      if (count > 1000) {
        return [
          {
            path: scaling.mode === 'fixed' ? '/workers' : '/maximum',
            message: `${count} workers is more jobs than a SLURM queue should get at once; use at most 1000.`
          }
        ];
      }
      return [];
    },

    snippet(model: IClusterModel, dashboardLink: string | undefined) {
      return clientSnippet(
        model.schedulerAddress ?? '',
        securityDirectory(options.sharedBase, model.id),
        dashboardLink
      );
    },

    tunnelCommand() {
      return undefined;
    },

    attach(registry: Registry) {
      return new SlurmJobWatcher({
        registry,
        commands: options.commands,
        intervalMs: options.squeueIntervalMs
      }).start();
    }
  };
}

/** What the companion gives the SLURM backend. */
export interface ISlurmDependencies {
  environments: () => Promise<IEnvironmentInfo[]>;
  serverPython: string;
  runnerPath: string;
  user: string;
  home: string;
  env: Record<string, string | undefined>;
}

/** The SLURM backend with the real commands; directories and timer from the environment. */
export function createSlurmBackendFrom(deps: ISlurmDependencies): IBackend {
  const interval = Number(deps.env.JUPYTERLAB_DASK_CLUSTERS_SQUEUE_INTERVAL_MS);
  return createSlurmBackend({
    environments: deps.environments,
    serverPython: deps.serverPython,
    runnerPath: deps.runnerPath,
    commands: realSlurmCommands(command => which(command), deps.user),
    runRunner: (python, args, input) => runRunnerJson(python, deps.runnerPath, args, input),
    sharedBase:
      deps.env.JUPYTERLAB_DASK_CLUSTERS_SLURM_DIR ||
      path.join(deps.home, '.local', 'share', 'jupyterlab-dask-clusters', 'slurm'),
    squeueIntervalMs: Number.isFinite(interval) && interval > 0 ? interval : 3_000
  });
}
