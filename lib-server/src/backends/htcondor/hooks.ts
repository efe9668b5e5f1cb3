/**
 * The hooks of the `htcondor` type (definition.ts): what data cannot say.
 * Whether HTCondor is here, the site's jobqueue.htcondor defaults for the
 * form, the submit commands of `name = value` lines (a run-time limit is a
 * policy such as allowed_job_duration, which then sets the worker
 * lifetime), and the watcher of the jobs. HTCondor has no queues.
 */

import path from 'node:path';
import type { IFieldError } from '../../../../protocol/index.js';
import type { IClusterRecord } from '../../clusters/registry.js';
import { isObject } from '../../util/objects.js';
import type { IFormParts, IHookContext, ITypeHooks } from '../definition.js';
import { readJobqueueConfig } from '../jobqueue/config.js';
import { batchHooks, commonDefaults, formDefaults, sizeErrors, workerArgs } from '../jobqueue/hooks.js';
import type { IBatchJob } from '../jobqueue/types.js';
import type { IHtcondorCommands } from './commands.js';

/** What the hooks are given. */
export interface IHtcondorHookOptions {
  commands: IHtcondorCommands;
  /** The default log directory. */
  logDirectory: string;
  /** Between two condor_q calls while HTCondor clusters exist. */
  intervalMs: number;
}

/** A submit command's name: `requirements`, `+MaxRuntime`, `MY.Site`. */
const COMMAND_NAME = /^\+?[A-Za-z_][\w.]*$/;

/** The `name = value` lines of the extra submit commands, and the first line that is not one. */
export function submitCommands(text: unknown): {
  commands: Record<string, string>;
  bad?: { line: number; text: string };
} {
  const commands: Record<string, string> = {};
  for (const [index, line] of String(text ?? '')
    .split('\n')
    .map(l => l.trim())
    .entries()) {
    if (line === '' || line.startsWith('#')) {
      continue;
    }
    const equals = line.indexOf('=');
    const name = equals > 0 ? line.slice(0, equals).trim() : '';
    if (!COMMAND_NAME.test(name)) {
      return { commands, bad: { line: index + 1, text: line } };
    }
    commands[name] = line.slice(equals + 1).trim();
  }
  return { commands };
}

/** Seconds of `allowed_job_duration` among the submit commands (any case), when it is a plain number. */
export function allowedDuration(text: unknown): number | undefined {
  const entry = Object.entries(submitCommands(text).commands).find(([name]) => /^allowed_job_duration$/i.test(name));
  return entry !== undefined && /^\d+$/.test(entry[1]) ? Number(entry[1]) : undefined;
}

/** jobqueue.htcondor's job-extra-directives (a mapping) as `name = value` lines. */
function configCommands(value: unknown): string | undefined {
  return isObject(value)
    ? Object.entries(value)
        .map(([name, v]) => `${name} = ${String(v)}`)
        .join('\n')
    : undefined;
}

/** The form's computed parts from jobqueue.htcondor. */
export function htcondorFormParts(config: Record<string, unknown>, logDirectory: string): IFormParts {
  const d = formDefaults('htcondor');
  d.set('disk', typeof config.disk === 'string' ? config.disk : undefined, '1 GiB', '1 GiB per job');
  d.set('job_extra_directives', configCommands(config['job-extra-directives']), '', 'none');
  commonDefaults(d, config, logDirectory);
  return { options: d.options, sources: d.sources };
}

/** Values of the mapping: the submit commands (the batch name carries the cluster id), the worker's arguments. */
export function htcondorValues(o: Record<string, unknown>, values: Record<string, unknown>): Record<string, unknown> {
  const name = `${String(o.job_name ?? 'dask-worker')}-${String(values.cluster_id)}`;
  return {
    // The job name is in condor_q's JobBatchName, so a lost cluster's jobs are found by it.
    directives: { batch_name: name, ...submitCommands(o.job_extra_directives).commands },
    worker_args: workerArgs(allowedDuration(o.job_extra_directives)),
    log_dir: String(o.log_directory ?? '').trim()
  };
}

/** Lines that are not submit commands, and more processes than cores. */
export function htcondorErrors(o: Record<string, unknown>): IFieldError[] {
  const { bad } = submitCommands(o.job_extra_directives);
  const fields = sizeErrors(o, undefined);
  if (bad !== undefined) {
    fields.unshift({
      path: '/job_extra_directives',
      message: `Line ${bad.line} of Extra submit commands ("${bad.text}") is not name = value, e.g. requirements = (OpSys == "LINUX"); fix or remove it.`
    });
  }
  return fields;
}

/** dask-jobqueue's Output and Error of job `id`: $(LogDirectory)/worker-<cluster.proc>.out and .err. */
function logsOf(record: IClusterRecord, job: IBatchJob): { stdout: string; stderr: string } | undefined {
  const dir = record.model.spec.options.log_directory;
  return typeof dir === 'string' && dir !== ''
    ? { stdout: path.join(dir, `worker-${job.id}.out`), stderr: path.join(dir, `worker-${job.id}.err`) }
    : undefined;
}

/** The hooks of the `htcondor` type. */
export function htcondorHooks(options: IHtcondorHookOptions): ITypeHooks {
  const { commands } = options;
  return batchHooks({
    type: 'htcondor',
    intervalMs: options.intervalMs,
    missing: () => commands.missing(),
    onPath: {
      host: 'an HTCondor submit host (one that runs a condor_schedd)',
      system: 'HTCondor',
      how: 'module load htcondor, or add the bin directory of the condor installation to PATH'
    },
    form: async (context: IHookContext) =>
      htcondorFormParts(await readJobqueueConfig(context, 'htcondor'), options.logDirectory),
    values: htcondorValues,
    refusals: async o => htcondorErrors(o),
    // condor_q lists every job of the user: the jobs named after a lost cluster too (JobBatchName).
    watch: () => ({
      jobs: () => commands.jobs(),
      cancel: ids => commands.cancel(ids),
      walltimeOf: record => allowedDuration(record.model.spec.options.job_extra_directives),
      logsOf
    })
  });
}
