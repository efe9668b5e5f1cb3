/**
 * Supervision of one runner process: start it in its own process group,
 * talk the line protocol, and stop it for sure (close, then SIGTERM, then
 * SIGKILL to the whole group, so the worker processes go too).
 */

import { closeSync, createWriteStream, openSync, writeSync, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { execa, type ResultPromise } from 'execa';
import { Emitter } from '../util/emitter.js';
import { parseRunnerEvent, type RunnerCommand, type RunnerEvent } from './protocol.js';

/** Options of one runner. */
export interface IRunnerOptions {
  python: string;
  runnerPath: string;
  /** The runner's stderr (and its workers') is appended here, until its start command names another file. */
  logFile: string;
  /** How long `stop` waits after `close` before SIGTERM, and after SIGTERM before SIGKILL. */
  closeGraceMs?: number;
  termGraceMs?: number;
  /** A runner started ahead of its cluster (spares.ts): it imports distributed while it waits. */
  spare?: boolean;
}

/** execa options of a runner process. */
type RunnerExecaOptions = {
  stdin: 'pipe';
  stdout: 'pipe';
  stderr: WriteStream;
  detached: true;
  cleanup: false;
  buffer: false;
  reject: false;
  env: Record<string, string>;
};

/** How a runner ended. */
export interface IRunnerExit {
  code: number | null;
  signal: string | null;
  /** Whether it said `closed` before exiting. */
  closed: boolean;
  /** Set when the process could not be started at all. */
  spawnError?: string;
}

/** Send `signal` to the process group `pgid`; false when the group is gone. */
export function killGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Emit the event on one protocol line (a blank or unreadable one is logged
 * and dropped); true when it says the runner closed its cluster.
 */
export function forwardEventLine(line: string, pid: number | undefined, events: Emitter<RunnerEvent>): boolean {
  if (line.trim() === '') {
    return false;
  }
  const event = parseRunnerEvent(line);
  if ('invalid' in event) {
    console.error(`runner ${pid}: ignoring a line: ${event.invalid}`);
    return false;
  }
  events.emit(event);
  return event.event === 'closed';
}

/** Whether `exited` settles within `ms`. */
function exitsWithin(exited: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise(resolve => {
    const timer = setTimeout(() => resolve(false), ms);
    void exited.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/**
 * Stop `runner` for sure: `close` asks it to close its cluster; after the
 * grace periods SIGTERM, then SIGKILL, go to its process group.
 */
export async function stopForSure(
  runner: Pick<IRunner, 'exited' | 'pid' | 'kill'>,
  graces: { closeGraceMs?: number; termGraceMs?: number },
  close: () => void
): Promise<IRunnerExit> {
  const { closeGraceMs = 20_000, termGraceMs = 5_000 } = graces;
  close();
  if (await exitsWithin(runner.exited, closeGraceMs)) {
    return runner.exited;
  }
  if (runner.pid !== undefined) {
    killGroup(runner.pid, 'SIGTERM');
  }
  if (await exitsWithin(runner.exited, termGraceMs)) {
    return runner.exited;
  }
  runner.kill();
  return runner.exited;
}

/** A runner the lifecycle talks to: one it started, or one it re-adopted. */
export interface IRunner {
  /** Every protocol event, in order. */
  readonly events: Emitter<RunnerEvent>;
  /** Resolves once, when the process has exited. */
  readonly exited: Promise<IRunnerExit>;
  /** Process id, which is also the process group id. */
  readonly pid: number | undefined;
  /** Write one command line; false when the runner can no longer read. */
  send(command: RunnerCommand): boolean;
  /** Close the cluster for sure (close, SIGTERM, SIGKILL to the group); resolves when it has exited. */
  stop(): Promise<IRunnerExit>;
  /** SIGKILL the runner's whole process group now. */
  kill(): void;
  /**
   * Let go of a runner that has a control socket: it keeps its cluster
   * running for a later companion to re-adopt.
   */
  detach(): void;
}

/** One running runner.py. */
export class RunnerProcess implements IRunner {
  /** Every protocol event, in order. */
  readonly events = new Emitter<RunnerEvent>();
  /** Resolves once, when the process has exited. */
  readonly exited: Promise<IRunnerExit>;
  private readonly subprocess: ResultPromise<RunnerExecaOptions>;
  private closed = false;
  /** Whether its start command gave it a control socket: only then does end of input detach. */
  private detachable = false;
  private stopping?: Promise<IRunnerExit>;

  constructor(private readonly options: IRunnerOptions) {
    // stderr goes straight to the log file (the child gets the descriptor,
    // not a pipe): the runner and its workers keep logging there even while,
    // or after, the companion goes away.
    const logFd = openSync(options.logFile, 'a', 0o600);
    writeSync(logFd, `--- ${new Date().toISOString()} companion starts ${options.python} ${options.runnerPath} run\n`);
    try {
      const execaOptions: RunnerExecaOptions = {
        stdin: 'pipe',
        stdout: 'pipe',
        stderr: createWriteStream('', { fd: logFd, autoClose: false }),
        detached: true,
        cleanup: false,
        buffer: false,
        reject: false,
        env: { PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' }
      };
      const args = [options.runnerPath, 'run', ...(options.spare === true ? ['--spare'] : [])];
      this.subprocess = execa(options.python, args, execaOptions);
    } finally {
      closeSync(logFd);
    }
    const lines = createInterface({ input: this.subprocess.stdout });
    lines.on('line', line => this.onLine(line));
    const stdoutClosed = new Promise<void>(resolve => lines.once('close', resolve));
    this.exited = this.watchExit(stdoutClosed);
    // Writing to a runner that just died must not crash the companion.
    this.subprocess.stdin.on('error', () => undefined);
  }

  /** Process id, which is also the process group id (detached). */
  get pid(): number | undefined {
    return this.subprocess.pid;
  }

  /** Write one command line; false when the runner can no longer read. */
  send(command: RunnerCommand): boolean {
    const stdin = this.subprocess.stdin;
    if (stdin.destroyed || !stdin.writable) {
      return false;
    }
    if (command.op === 'start' && command.control !== undefined) {
      this.detachable = true;
    }
    stdin.write(JSON.stringify(command) + '\n');
    return true;
  }

  /**
   * Stop the runner for sure: ask it to close its cluster, then SIGTERM and
   * finally SIGKILL its process group. Resolves when it has exited.
   */
  stop(): Promise<IRunnerExit> {
    if (this.stopping === undefined) {
      this.stopping = this.escalate();
    }
    return this.stopping;
  }

  /** SIGKILL the runner's whole process group now. */
  kill(): void {
    if (this.pid !== undefined) {
      killGroup(this.pid, 'SIGKILL');
    }
  }

  detach(): void {
    if (this.detachable) {
      // End of input only detaches a runner with a control socket.
      this.subprocess.stdin.end();
      this.subprocess.stdout.destroy();
    }
  }

  private escalate(): Promise<IRunnerExit> {
    return stopForSure(this, this.options, () => {
      this.send({ op: 'close' });
      this.subprocess.stdin.end();
    });
  }

  private onLine(line: string): void {
    this.closed = forwardEventLine(line, this.pid, this.events) || this.closed;
  }

  private watchExit(stdoutClosed: Promise<void>): Promise<IRunnerExit> {
    return new Promise(resolve => {
      let done = false;
      const finish = (exit: IRunnerExit): void => {
        if (!done) {
          done = true;
          // Whatever is left of the group (workers of a crashed runner) goes too.
          this.kill();
          resolve(exit);
        }
      };
      // 'exit' fires when the process ends, even if some other process still
      // holds its stdout; give the last lines ('closed') a moment to arrive.
      this.subprocess.on('exit', (code, signal) => {
        const grace = new Promise(wait => setTimeout(wait, 2_000).unref());
        void Promise.race([stdoutClosed, grace]).then(() => finish({ code, signal, closed: this.closed }));
      });
      void this.subprocess.then(result => {
        if (result.failed && this.subprocess.pid === undefined) {
          finish({ code: null, signal: null, closed: false, spawnError: result.shortMessage });
        } else {
          finish({ code: result.exitCode ?? null, signal: result.signal ?? null, closed: this.closed });
        }
      });
    });
  }
}
