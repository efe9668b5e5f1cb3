/**
 * The form fields every cluster type shares, each defined once: the Python
 * environment, the scaling fields (fixed or adaptive, and the rule between
 * their bounds) and the workers' environment variables. A type adds its own
 * fields around them; how each type passes them on is its argument mapping.
 */

import type { JSONSchema7 } from 'json-schema';
import type { IFieldError } from '../../../protocol/index.js';
import type { IEnvironmentInfo, IProbe } from '../envs/probe.js';

/** Why `env` cannot run a type's clusters, or undefined when it can. */
export type EnvironmentCheck = (env: IEnvironmentInfo) => string | undefined;

/** An environment with distributed can run any type that needs nothing more. */
export const needsDistributed: EnvironmentCheck = env =>
  env.usable ? undefined : (env.reason ?? 'this environment cannot run dask');

/** An environment check that also needs `distribution` installed (as the probe reports it). */
export function needsPackage(distribution: string, probeKey: keyof IProbe['packages']): EnvironmentCheck {
  return env => {
    const base = needsDistributed(env);
    if (base !== undefined) {
      return base;
    }
    return env.probe?.packages[probeKey] !== undefined
      ? undefined
      : `${distribution} is not installed: ${env.python} -m pip install ${distribution}`;
  };
}

/** The default environment: the server's when it passes `check`, else the first that does. */
export function defaultEnvironment(
  environments: IEnvironmentInfo[],
  serverPython: string,
  check: EnvironmentCheck = needsDistributed
): IEnvironmentInfo | undefined {
  const usable = environments.filter(env => check(env) === undefined);
  return usable.find(env => env.python === serverPython) ?? usable[0] ?? environments[0];
}

/** Why the default environment was chosen. */
export function defaultEnvironmentReason(env: IEnvironmentInfo | undefined, serverPython: string): string {
  return env?.python === serverPython ? "the Jupyter server's environment" : 'the first environment that can run it';
}

/** The `environment` field: its schema and its form hints. */
export function environmentField(
  environments: IEnvironmentInfo[],
  options: { default: IEnvironmentInfo | undefined; why: string; description: string; check?: EnvironmentCheck }
): { schema: JSONSchema7; ui: Record<string, unknown> } {
  const check = options.check ?? needsDistributed;
  const title = (env: IEnvironmentInfo): string => {
    const problem = check(env);
    if (problem !== undefined) {
      return `${env.label} — ${problem}`;
    }
    const versions = ` (Python ${env.pythonVersion ?? '?'}, distributed ${env.distributed ?? '?'})`;
    return env.dashboardNote === undefined
      ? `${env.label}${versions}`
      : `${env.label}${versions} — ${env.dashboardNote}`;
  };
  return {
    schema: {
      type: 'string',
      title: 'Environment',
      description: `${options.description} Default: ${options.default?.label ?? 'none'} (${options.why}).`,
      enum: environments.map(env => env.python),
      ...(options.default !== undefined ? { default: options.default.python } : {})
    },
    ui: {
      'ui:enumNames': environments.map(title),
      'ui:enumDisabled': environments.filter(env => check(env) !== undefined).map(env => env.python)
    }
  };
}

/** What is wrong with choosing `python` as the environment, or undefined. */
export function environmentProblem(
  python: string,
  environments: IEnvironmentInfo[],
  check: EnvironmentCheck = needsDistributed
): string | undefined {
  const env = environments.find(candidate => candidate.python === python);
  if (env === undefined) {
    return (
      `${python} is not the interpreter of any Python kernelspec here; choose one of the listed environments ` +
      '(or register it as a kernel: python -m ipykernel install --user).'
    );
  }
  const problem = check(env);
  return problem === undefined ? undefined : `${env.label}: ${problem}; choose another environment.`;
}

/**
 * What is wrong with choosing `python`, checked on disk first (a kernelspec's
 * interpreter may be gone since the list was read), or undefined.
 */
export function interpreterProblem(
  python: string,
  environments: IEnvironmentInfo[],
  check: EnvironmentCheck,
  exists: (path: string) => boolean
): string | undefined {
  if (!exists(python)) {
    const known = environments.find(env => env.python === python);
    return known === undefined
      ? `Interpreter ${python} does not exist; choose one of the listed environments.`
      : `Interpreter ${python} (${known.label}) no longer exists; choose another environment.`;
  }
  return environmentProblem(python, environments, check);
}

/** Why no environment here can run a type, for its unavailable reason. */
export function noEnvironmentReason(environments: IEnvironmentInfo[], check: EnvironmentCheck): string {
  if (!environments.some(env => env.usable)) {
    return 'No Python environment here has distributed: pip install distributed in the environment of a kernel.';
  }
  return `No Python environment here can run it: ${environments.map(check).find(Boolean) ?? 'none found'}.`;
}

/** The scaling fields' values, as every type's options hold them. */
export interface IScalingOptions {
  workers: number;
  adaptive: boolean;
  adaptive_minimum: number;
  adaptive_maximum: number;
}

/** Names of the scaling fields, in form order. */
export const SCALING_FIELDS = ['workers', 'adaptive', 'adaptive_minimum', 'adaptive_maximum'] as const;

/** The rule between the adaptive bounds, on the field to change; undefined when it holds. */
export function adaptiveBoundsProblem(
  minimum: number,
  maximum: number,
  path = '/adaptive_minimum'
): IFieldError | undefined {
  if (minimum <= maximum) {
    return undefined;
  }
  return {
    path,
    message: `Minimum workers (${minimum}) is more than Maximum workers (${maximum}); lower the minimum or raise the maximum.`
  };
}

/** What a type says differently in its scaling fields. */
export interface IScalingWords {
  workers?: string;
  maximum?: string;
  /** The fewest workers a fixed-size cluster may start with (default 0). */
  leastWorkers?: number;
}

/** The rule between the adaptive bounds of a form's options: checked when adaptive and both are numbers. */
export function optionsBoundsProblem(options: Record<string, unknown>): IFieldError | undefined {
  const { adaptive, adaptive_minimum: minimum, adaptive_maximum: maximum } = options;
  return adaptive === true && typeof minimum === 'number' && typeof maximum === 'number'
    ? adaptiveBoundsProblem(minimum, maximum)
    : undefined;
}

/** The scaling fields' schemas, with the type's defaults and words. */
export function scalingFields(defaults: IScalingOptions, words: IScalingWords = {}): Record<string, JSONSchema7> {
  return {
    workers: {
      type: 'integer',
      title: 'Workers',
      description: words.workers ?? `Number of workers to start. Default ${defaults.workers}.`,
      minimum: words.leastWorkers ?? 0,
      default: defaults.workers
    },
    adaptive: {
      type: 'boolean',
      title: 'Adaptive scaling',
      description: 'Let dask add and remove workers with the load, between the minimum and the maximum below.',
      default: defaults.adaptive
    },
    adaptive_minimum: {
      type: 'integer',
      title: 'Minimum workers',
      description: `Workers kept even when idle (adaptive scaling). Default ${defaults.adaptive_minimum}.`,
      minimum: 0,
      default: defaults.adaptive_minimum
    },
    adaptive_maximum: {
      type: 'integer',
      title: 'Maximum workers',
      description: words.maximum ?? `Most workers adaptive scaling may start. Default ${defaults.adaptive_maximum}.`,
      minimum: 1,
      default: defaults.adaptive_maximum
    }
  };
}

/** The workers' environment variables field: one NAME=value per line. */
export const WORKER_ENV_FIELD = 'worker_env';

/** The schema of the workers' environment variables field. */
export function workerEnvField(how: string): JSONSchema7 {
  return {
    type: 'string',
    title: 'Worker environment variables',
    description: `One NAME=value per line, set for every worker (${how}), e.g. OMP_NUM_THREADS=1.`,
    default: ''
  };
}

/** The form hint of the workers' environment variables field. */
export const WORKER_ENV_UI = { 'ui:widget': 'textarea', 'ui:options': { rows: 3 } } as const;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * `NAME=value` lines (the field's value; no variables when it is not a
 * string) as variables, or the field error naming the first bad line.
 */
export function parseWorkerEnv(text: unknown): { env: Record<string, string> } | { error: IFieldError } {
  const env: Record<string, string> = {};
  const lines = (typeof text === 'string' ? text : '').split('\n').map(line => line.trim());
  for (const [index, line] of lines.entries()) {
    if (line === '' || line.startsWith('#')) {
      continue;
    }
    const equals = line.indexOf('=');
    const name = equals > 0 ? line.slice(0, equals).trim() : '';
    if (!ENV_NAME.test(name)) {
      return {
        error: {
          path: `/${WORKER_ENV_FIELD}`,
          message:
            `Line ${index + 1} of Worker environment variables ("${line}") is not NAME=value with a NAME of letters, ` +
            'digits and _ (not starting with a digit); fix or remove it.'
        }
      };
    }
    env[name] = line.slice(equals + 1).trim();
  }
  return { env };
}

/** Shell lines that export `env` in a job script, each value quoted for sh. */
export function exportLines(env: Record<string, string>): string[] {
  return Object.entries(env).map(([name, value]) => `export ${name}='${value.replace(/'/g, `'"'"'`)}'`);
}
