/**
 * Spare runners: one started per environment when the [+NEW] dialog opens,
 * so that the create that follows skips Python's start and the import of
 * distributed and its dashboard (about a second of a local cluster's start).
 * A spare nobody takes ends after `idleMs`; at most `maximum` wait at once
 * (limits.spareRunners: a crowded login node may want fewer, or none).
 */

import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { ensurePrivateDir } from '../util/files.js';
import { RunnerProcess, type IRunnerOptions } from './supervisor.js';

/** How long a spare waits for the create of a dialog: a few minutes of filling in the form. */
export const SPARE_WAIT_MS = 3 * 60_000;

/** Options of the spares; `python` comes with each `warm`. */
export interface ISpareRunnersOptions extends Omit<IRunnerOptions, 'python' | 'spare'> {
  /** How long a spare waits to be taken before it ends. */
  idleMs: number;
  /** How many spares may wait at once, read at each warm (each holds about 80 MiB); one more ends the oldest; 0: none. */
  maximum: () => number;
}

interface ISpare {
  runner: RunnerProcess;
  timer: NodeJS.Timeout;
  startedAt: string;
}

/** The spare runners of one companion, by interpreter. */
export class SpareRunners {
  private readonly spares = new Map<string, ISpare>();

  constructor(private readonly options: ISpareRunnersOptions) {}

  /**
   * Have a spare runner of `python` waiting for the next `idleMs`; when it
   * ends, as an ISO date, or undefined when no spare may wait (maximum 0).
   */
  warm(python: string): string | undefined {
    const maximum = this.options.maximum();
    if (maximum <= 0) {
      // Turned off while one waited: it ends now, not minutes later.
      this.end(python);
      return undefined;
    }
    const waiting = this.spares.get(python);
    if (waiting !== undefined) {
      waiting.timer.refresh();
      return this.endOf();
    }
    while (this.spares.size >= maximum) {
      const [oldest] = this.spares.keys();
      this.end(oldest);
    }
    ensurePrivateDir(path.dirname(this.options.logFile));
    const runner = new RunnerProcess({ ...this.options, python, spare: true });
    const timer = setTimeout(() => this.end(python), this.options.idleMs);
    timer.unref();
    const spare: ISpare = { runner, timer, startedAt: new Date().toISOString() };
    this.spares.set(python, spare);
    // A spare that dies by itself (a broken interpreter) is no longer offered.
    void runner.exited.then(() => {
      if (this.spares.get(python) === spare) {
        clearTimeout(timer);
        this.spares.delete(python);
      }
    });
    return this.endOf();
  }

  /**
   * The waiting spare of `python`, now the runner of what logs to `logFile`
   * (`what`: a cluster, or a runner host); undefined when none waits.
   */
  take(python: string, logFile: string, what = 'this cluster'): RunnerProcess | undefined {
    const spare = this.spares.get(python);
    if (spare === undefined) {
      return undefined;
    }
    clearTimeout(spare.timer);
    this.spares.delete(python);
    appendFileSync(
      logFile,
      `--- ${new Date().toISOString()} spare runner ${spare.runner.pid} (started ${spare.startedAt}) takes ${what}\n`,
      { mode: 0o600 }
    );
    return spare.runner;
  }

  /** The spares waiting: interpreter and process id of each. */
  waiting(): { python: string; pid: number | undefined }[] {
    return [...this.spares].map(([python, spare]) => ({ python, pid: spare.runner.pid }));
  }

  /** End every spare; resolves when they have exited. */
  async dispose(): Promise<void> {
    const runners = [...this.spares.values()].map(spare => spare.runner);
    for (const python of [...this.spares.keys()]) {
      this.end(python);
    }
    await Promise.all(runners.map(runner => runner.exited));
  }

  private end(python: string): void {
    const spare = this.spares.get(python);
    if (spare !== undefined) {
      clearTimeout(spare.timer);
      this.spares.delete(python);
      void spare.runner.stop();
    }
  }

  private endOf(): string {
    return new Date(Date.now() + this.options.idleMs).toISOString();
  }
}
