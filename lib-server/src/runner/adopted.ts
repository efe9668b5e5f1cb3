/**
 * A runner that outlived the companion that started it (its cluster keeps
 * running after JupyterLab stops), re-adopted over its control socket: the
 * same line protocol as on stdio. It replays its state first (started,
 * workers, jobs, warning), so the item comes back as it was.
 */

import { createConnection, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { Emitter } from '../util/emitter.js';
import type { RunnerCommand, RunnerEvent } from './protocol.js';
import { forwardEventLine, killGroup, stopForSure, type IRunner, type IRunnerExit } from './supervisor.js';

/** How often a runner whose connection closed is looked at until its process has gone. */
const EXIT_POLL_MS = 500;

/** Whether process `pid` still exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A re-adopted runner. */
export class AdoptedRunner implements IRunner {
  readonly events = new Emitter<RunnerEvent>();
  readonly exited: Promise<IRunnerExit>;
  private closed = false;
  private stopping?: Promise<IRunnerExit>;

  private constructor(
    private readonly socket: Socket,
    readonly pid: number,
    private readonly graces: { closeGraceMs?: number; termGraceMs?: number }
  ) {
    const lines = createInterface({ input: socket });
    lines.on('line', line => this.onLine(line));
    this.socket.on('error', () => undefined);
    this.exited = new Promise(resolve => {
      socket.once('close', () => {
        const timer = setInterval(() => {
          if (!alive(pid)) {
            clearInterval(timer);
            // Whatever is left of the group (workers of a crashed runner) goes too.
            this.kill();
            resolve({ code: null, signal: null, closed: this.closed });
          }
        }, EXIT_POLL_MS);
        timer.unref();
      });
    });
  }

  /** Connect to the runner `pid` listening on `control`; rejects when it does not answer. */
  static connect(
    control: string,
    pid: number,
    graces: { closeGraceMs?: number; termGraceMs?: number } = {}
  ): Promise<AdoptedRunner> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(control);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new AdoptedRunner(socket, pid, graces));
      });
      socket.once('error', reject);
    });
  }

  send(command: RunnerCommand): boolean {
    if (this.socket.destroyed || !this.socket.writable) {
      return false;
    }
    this.socket.write(JSON.stringify(command) + '\n');
    return true;
  }

  stop(): Promise<IRunnerExit> {
    this.stopping ??= stopForSure(this, this.graces, () => this.send({ op: 'close' }));
    return this.stopping;
  }

  kill(): void {
    killGroup(this.pid, 'SIGKILL');
  }

  detach(): void {
    this.socket.end();
  }

  private onLine(line: string): void {
    this.closed = forwardEventLine(line, this.pid, this.events) || this.closed;
  }
}
