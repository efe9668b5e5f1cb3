/** Finds the Python environments that can run a cluster: kernelspecs, then probes. */

import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import type { JsonCommand } from '../util/exec.js';
import { candidatesFromKernelspecs, type ICandidate } from './kernelspecs.js';
import { ProbeCache, toEnvironment, type IEnvironmentInfo } from './probe.js';

/** Options of EnvironmentDiscovery. */
export interface IDiscoveryOptions {
  /** Interpreter of the Jupyter server: lists kernelspecs, and is the fallback environment. */
  serverPython: string;
  runnerPath: string;
  run: JsonCommand;
  /** Timeout of one probe or kernelspec listing. */
  timeoutMs?: number;
  /** How long a kernelspec listing is reused. */
  kernelspecTtlMs?: number;
}

/** `command` found on PATH, as a shell would. */
export function which(command: string, searchPath = process.env.PATH ?? ''): string | undefined {
  for (const dir of searchPath.split(path.delimiter)) {
    if (dir === '') {
      continue;
    }
    const candidate = path.join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) {
        return candidate;
      }
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Same key for two interpreter paths of one environment (bin/python, bin/python3). */
function environmentKey(python: string): string {
  try {
    return `${path.dirname(python)}|${realpathSync(python)}`;
  } catch {
    return python;
  }
}

function mtime(file: string): number | undefined {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

/** Lists environments (kernelspec interpreters + the server's), each probed. */
export class EnvironmentDiscovery {
  private readonly probes: ProbeCache;
  private kernelspecs?: { at: number; candidates: Promise<ICandidate[]> };

  constructor(private readonly options: IDiscoveryOptions) {
    this.probes = new ProbeCache({
      runnerPath: options.runnerPath,
      run: options.run,
      mtime,
      timeoutMs: options.timeoutMs ?? 30_000
    });
  }

  /** The interpreter of the Jupyter server. */
  get serverPython(): string {
    return this.options.serverPython;
  }

  /**
   * Every environment, probed; never rejects (a failed listing keeps the
   * server's interpreter); a ListEnvironments.
   */
  async list(including?: string): Promise<IEnvironmentInfo[]> {
    const candidates = await this.candidates(including);
    return Promise.all(
      candidates.map(candidate =>
        this.probes.probe(candidate.python).then(
          probe => toEnvironment(candidate, probe),
          (error: unknown) => toEnvironment(candidate, error instanceof Error ? error : new Error(String(error)))
        )
      )
    );
  }

  private async candidates(including?: string): Promise<ICandidate[]> {
    if (including !== undefined && this.kernelspecs !== undefined) {
      const known = await this.kernelspecs.candidates;
      if (known.some(candidate => candidate.python === including)) {
        return known;
      }
    }
    const ttl = this.options.kernelspecTtlMs ?? 5_000;
    const now = Date.now();
    if (this.kernelspecs === undefined || now - this.kernelspecs.at > ttl) {
      const { serverPython, runnerPath, run } = this.options;
      const candidates = run(serverPython, [runnerPath, 'kernelspecs'], this.options.timeoutMs ?? 30_000).then(
        specs => candidatesFromKernelspecs(specs, serverPython, which, environmentKey),
        (error: unknown) => {
          console.error('listing kernelspecs failed:', error instanceof Error ? error.message : error);
          return candidatesFromKernelspecs({}, serverPython, which, environmentKey);
        }
      );
      this.kernelspecs = { at: now, candidates };
    }
    return this.kernelspecs.candidates;
  }
}
