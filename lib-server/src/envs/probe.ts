/** What `runner.py probe` reports about an interpreter, and a cache of it. */

import type { IEnvironment } from '../../../protocol/index.js';
import type { JsonCommand } from '../util/exec.js';
import { isObject } from '../util/objects.js';
import type { ICandidate } from './kernelspecs.js';

/** The parsed output of `runner.py probe`. */
export interface IProbe {
  pythonVersion?: string;
  packages: {
    distributed?: string;
    dask?: string;
    dask_jobqueue?: string;
    dask_gateway?: string;
    bokeh?: string;
    cryptography?: string;
  };
  /** Values the user's dask config sets, dotted keys (e.g. distributed.worker.memory.target). */
  config: Record<string, unknown>;
  /** site-packages directories: installing a package changes their mtime. */
  sitePaths: string[];
}

/** An environment as the API shows it, with its probe for the backends. */
export interface IEnvironmentInfo extends IEnvironment {
  probe?: IProbe;
}

/** The reason shown for an interpreter without distributed. */
export const NO_DISTRIBUTED = 'distributed is not installed in this environment (pip install distributed)';

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Validate the probe's JSON; throws when it is not a probe. */
export function parseProbe(value: unknown): IProbe {
  if (typeof value !== 'object' || value === null) {
    throw new Error('the probe did not print a JSON object');
  }
  const raw = value as Record<string, unknown>;
  const packages = (isObject(raw.packages) ? raw.packages : {}) as Record<string, unknown>;
  const config = isObject(raw.config) ? raw.config : {};
  return {
    pythonVersion: optionalString(raw.python_version),
    packages: {
      distributed: optionalString(packages.distributed),
      dask: optionalString(packages.dask),
      dask_jobqueue: optionalString(packages.dask_jobqueue),
      dask_gateway: optionalString(packages.dask_gateway),
      bokeh: optionalString(packages.bokeh),
      cryptography: optionalString(packages.cryptography)
    },
    config,
    sitePaths: Array.isArray(raw.site_paths) ? raw.site_paths.filter(p => typeof p === 'string') : []
  };
}

/**
 * Every environment, probed. A launch passes the environment it asked for as
 * `including`: a listing read earlier that holds it serves, so creating a
 * cluster does not wait for Python to list the kernelspecs again.
 */
export type ListEnvironments = (including?: string) => Promise<IEnvironmentInfo[]>;

/** The API's view of a candidate and its probe (or why probing failed). */
export function toEnvironment(candidate: ICandidate, probe: IProbe | Error): IEnvironmentInfo {
  const base = { python: candidate.python, label: candidate.label, kernelspecs: candidate.kernelspecs };
  if (probe instanceof Error) {
    return { ...base, usable: false, reason: `this interpreter could not be probed: ${probe.message}` };
  }
  const environment: IEnvironmentInfo = {
    ...base,
    pythonVersion: probe.pythonVersion,
    distributed: probe.packages.distributed,
    dask: probe.packages.dask,
    bokeh: probe.packages.bokeh,
    usable: probe.packages.distributed !== undefined,
    probe
  };
  if (!environment.usable) {
    environment.reason = NO_DISTRIBUTED;
  } else if (probe.packages.bokeh === undefined) {
    environment.dashboardNote = `no dashboard: bokeh is not installed in ${candidate.label} (pip install "bokeh>=3.1.0")`;
  }
  return environment;
}

/** File modification times, undefined entries for missing files. */
export type MtimeReader = (path: string) => number | undefined;

interface ICached {
  probe: Promise<IProbe>;
  /** Modification times of the interpreter and its site directories when probed. */
  stamp?: string;
  sitePaths: string[];
}

/**
 * Probes interpreters with `runner.py probe`, once per interpreter until the
 * interpreter or one of its site-packages directories changes.
 */
export class ProbeCache {
  private readonly cache = new Map<string, ICached>();

  constructor(
    private readonly options: {
      runnerPath: string;
      run: JsonCommand;
      mtime: MtimeReader;
      timeoutMs: number;
    }
  ) {}

  /** The probe of `python`, cached. Rejects when the interpreter cannot run the probe. */
  probe(python: string): Promise<IProbe> {
    const cached = this.cache.get(python);
    // A probe under way (no stamp yet) is shared; a finished one is kept
    // while nothing it depends on changed.
    if (
      cached !== undefined &&
      (cached.stamp === undefined || cached.stamp === this.stampOf(python, cached.sitePaths))
    ) {
      return cached.probe;
    }
    const { run, runnerPath, timeoutMs } = this.options;
    const probe = run(python, [runnerPath, 'probe'], timeoutMs).then(parseProbe);
    const entry: ICached = { probe, sitePaths: [] };
    this.cache.set(python, entry);
    probe.then(
      result => {
        entry.sitePaths = result.sitePaths;
        entry.stamp = this.stampOf(python, result.sitePaths);
      },
      () => {
        // Failures are not kept: the next request tries again.
        if (this.cache.get(python) === entry) {
          this.cache.delete(python);
        }
      }
    );
    return probe;
  }

  private stampOf(python: string, sitePaths: string[]): string {
    const { mtime } = this.options;
    return [python, ...sitePaths].map(file => `${file}:${mtime(file)}`).join('|');
  }
}
