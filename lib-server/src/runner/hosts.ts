/**
 * Runner hosts: one runner.py per environment and dask config that runs the
 * clusters of every type whose definition says `sharedRunner` (local ones),
 * each on its own connection (hosted.ts). A cluster after the first then
 * costs its workers and about a MiB, not another interpreter with
 * distributed and bokeh imported and a resource tracker (bench/hosting.py),
 * and it starts without waiting for Python. A host takes a waiting spare
 * runner when there is one, and ends when its last cluster has.
 */

import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensurePrivateDir } from '../util/files.js';
import { HostedRunner, type IHostHandle } from './hosted.js';
import type { SpareRunners } from './spares.js';
import { RunnerProcess, type IRunnerOptions } from './supervisor.js';

/** Options of the hosts; `python` comes with each runner asked for. */
export interface IRunnerHostsOptions extends Omit<IRunnerOptions, 'python' | 'spare' | 'logFile'> {
  /** Where the hosts' logs go (`hosts/`, 0700): the companion's state directory. */
  stateDir: string;
  /** Spare runners, one of which becomes the host of its environment when it waits. */
  spares?: SpareRunners;
  /** How long a host may take to close one cluster before it is killed (hosted.ts HOSTED_CLOSE_MS). */
  hostedCloseMs?: number;
}

interface IHost extends IHostHandle {
  runner: RunnerProcess;
  /** Its clusters, live or starting. */
  clusters: number;
  /** Whether it was a spare runner (the dialog's) before it hosted. */
  fromSpare: boolean;
}

/** The key of the host of an interpreter and a dask config: a host sets one config for all its clusters. */
function hostKey(python: string, config: Record<string, unknown>): string {
  const sorted = Object.keys(config)
    .sort()
    .map(key => [key, config[key]]);
  return JSON.stringify([python, sorted]);
}

/** The runner hosts of one companion. */
export class RunnerHosts {
  /** The hosts new clusters join, by hostKey. */
  private readonly hosts = new Map<string, IHost>();
  /** Every host not yet exited, ending ones too. */
  private readonly live = new Set<IHost>();
  private count = 0;
  /** A private directory of the hosts' sockets, made with the first host. */
  private socketDir?: string;

  constructor(private readonly options: IRunnerHostsOptions) {}

  /**
   * The runner of a cluster of `python` with dask `config` that logs to
   * `logFile`: a connection to the host of both, started now if there is none.
   */
  runner(python: string, config: Record<string, unknown>, logFile: string): HostedRunner {
    const key = hostKey(python, config);
    const host = this.hosts.get(key) ?? this.start(key, python);
    host.clusters += 1;
    const was = host.fromSpare ? ', a spare runner until its first cluster' : '';
    const line = `--- ${new Date().toISOString()} runs in the runner host ${host.pid} of ${python}${was}\n`;
    appendFileSync(logFile, line, { mode: 0o600 });
    const runner = new HostedRunner(host, this.options.hostedCloseMs);
    void runner.exited.then(() => {
      host.clusters -= 1;
      if (host.clusters === 0) {
        this.end(key, host);
      }
    });
    return runner;
  }

  /** End every host (each closes its clusters); resolves when they have exited. */
  async dispose(): Promise<void> {
    for (const [key, host] of [...this.hosts.entries()]) {
      this.end(key, host);
    }
    await Promise.all([...this.live].map(host => host.exited));
    if (this.socketDir !== undefined) {
      rmSync(this.socketDir, { recursive: true, force: true });
    }
  }

  private start(key: string, python: string): IHost {
    const dir = path.join(this.options.stateDir, 'hosts');
    ensurePrivateDir(dir);
    this.count += 1;
    const name = `${process.pid}-${this.count}`;
    const logFile = path.join(dir, `${name}.log`);
    const spare = this.options.spares?.take(python, logFile, 'this runner host');
    const runner =
      spare ??
      new RunnerProcess({
        python,
        runnerPath: this.options.runnerPath,
        logFile,
        closeGraceMs: this.options.closeGraceMs,
        termGraceMs: this.options.termGraceMs,
        spare: true
      });
    runner.send({ op: 'host', socket: path.join(this.sockets(), `${this.count}.sock`), log_file: logFile });
    const listening = new Promise<string>((resolve, reject) => {
      runner.events.connect(event => {
        if (event.event === 'hosting') {
          resolve(event.socket);
        }
      });
      void runner.exited.then(() =>
        reject(new Error(`the runner host of ${python} ended before it listened (its log: ${logFile})`))
      );
    });
    // A host that fails to start fails its clusters (hosted.ts), nobody else awaits this.
    listening.catch(() => undefined);
    const host: IHost = {
      runner,
      clusters: 0,
      fromSpare: spare !== undefined,
      listening,
      exited: runner.exited,
      get pid() {
        return runner.pid;
      },
      kill: () => runner.kill()
    };
    this.hosts.set(key, host);
    this.live.add(host);
    // A host that dies by itself is not offered again.
    void runner.exited.then(exit => {
      this.live.delete(host);
      this.forget(key, host);
      // Its clusters' logs hold their part; a host's own log is kept only when it ended badly.
      if (exit.code === 0 && exit.signal === null) {
        rmSync(logFile, { force: true });
      }
    });
    return host;
  }

  /**
   * The sockets' directory (0700, removed at dispose): a short path of its
   * own, as a Unix socket's path has at most 107 bytes, which a state
   * directory below a deep home can take.
   */
  private sockets(): string {
    this.socketDir ??= mkdtempSync(path.join(os.tmpdir(), 'jdc-hosts-'));
    return this.socketDir;
  }

  private end(key: string, host: IHost): void {
    this.forget(key, host);
    void host.runner.stop();
  }

  private forget(key: string, host: IHost): void {
    if (this.hosts.get(key) === host) {
      this.hosts.delete(key);
    }
  }
}
