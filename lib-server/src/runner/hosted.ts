/**
 * One cluster in a runner host (hosts.ts): its own connection to the host's
 * socket, with the line protocol of a runner of its own. Stopping it never
 * signals the host's process group, which holds other clusters' workers,
 * unless the host stops answering altogether.
 */

import { createConnection, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { Emitter } from '../util/emitter.js';
import type { RunnerCommand, RunnerEvent } from './protocol.js';
import { forwardEventLine, type IRunner, type IRunnerExit } from './supervisor.js';

/**
 * How long a host may take to end one cluster's connection after `close`:
 * runner.py's START_GRACE (10 s, a close while starting) and CLOSE_TIMEOUT
 * (25 s, after which it kills the cluster's workers itself), and 5 s more.
 * A host that takes longer no longer runs its loop.
 */
export const HOSTED_CLOSE_MS = 40_000;

/** How long the host's own exit is waited for once a connection closed, to tell how it ended. */
const EXIT_GRACE_MS = 1_000;

/** What a hosted runner needs of its host. */
export interface IHostHandle {
  /** The host's process id, which is also its process group id. */
  readonly pid: number | undefined;
  /** The host's socket once it listens; rejects when the host ended first. */
  readonly listening: Promise<string>;
  /** Resolves when the host has exited. */
  readonly exited: Promise<IRunnerExit>;
  /** SIGKILL the host's process group: every cluster in it. */
  kill(): void;
}

/** A cluster's runner that is a connection to a host. */
export class HostedRunner implements IRunner {
  readonly events = new Emitter<RunnerEvent>();
  readonly exited: Promise<IRunnerExit>;
  private socket?: Socket;
  /** Commands sent before the host listens. */
  private readonly queued: RunnerCommand[] = [];
  private closed = false;
  private ended = false;
  private stopping?: Promise<IRunnerExit>;

  constructor(
    private readonly host: IHostHandle,
    private readonly closeMs = HOSTED_CLOSE_MS
  ) {
    this.exited = new Promise(resolve => {
      const finish = async (): Promise<void> => {
        if (this.closed) {
          resolve({ code: 0, signal: null, closed: true });
          return;
        }
        // When the host itself went, say how: its signal or exit code.
        const timer = new Promise<undefined>(wait => setTimeout(() => wait(undefined), EXIT_GRACE_MS).unref());
        const exit = await Promise.race([host.exited, timer]);
        resolve(exit !== undefined ? { ...exit, closed: false } : { code: 1, signal: null, closed: false });
      };
      host.listening.then(
        path => {
          if (this.ended) {
            // Stopped or killed before the host listened: nothing of it ever ran there.
            resolve({ code: 0, signal: null, closed: true });
            return;
          }
          this.connect(path, () => void finish());
        },
        (error: unknown) => {
          this.ended = true;
          void host.exited.then(exit =>
            resolve({
              ...exit,
              closed: false,
              spawnError: exit.spawnError ?? (error instanceof Error ? error.message : String(error))
            })
          );
        }
      );
    });
  }

  get pid(): number | undefined {
    return this.host.pid;
  }

  send(command: RunnerCommand): boolean {
    if (this.ended) {
      return false;
    }
    if (this.socket === undefined) {
      this.queued.push(command);
      return true;
    }
    if (this.socket.destroyed || !this.socket.writable) {
      return false;
    }
    this.socket.write(JSON.stringify(command) + '\n');
    return true;
  }

  /** Ask the host to close the cluster; a host that does not within `closeMs` is killed with every cluster in it. */
  stop(): Promise<IRunnerExit> {
    this.stopping ??= this.escalate();
    return this.stopping;
  }

  /** Drop the connection now (or never make it): the host closes the cluster and kills its workers. */
  kill(): void {
    this.ended = true;
    this.queued.length = 0;
    this.socket?.destroy();
  }

  /** A hosted cluster never outlives JupyterLab (one that keeps running has a runner of its own). */
  detach(): void {}

  private async escalate(): Promise<IRunnerExit> {
    if (this.socket === undefined) {
      // The host does not listen yet: its start is never sent.
      this.ended = true;
      this.queued.length = 0;
    } else {
      this.send({ op: 'close' });
    }
    const timer = new Promise<'late'>(resolve => setTimeout(() => resolve('late'), this.closeMs).unref());
    if ((await Promise.race([this.exited, timer])) === 'late') {
      this.host.kill();
    }
    return this.exited;
  }

  private connect(path: string, onClose: () => void): void {
    const socket = createConnection(path);
    this.socket = socket;
    socket.on('error', error => console.error(`runner host ${this.host.pid}: ${String(error)}`));
    socket.once('close', () => {
      this.ended = true;
      onClose();
    });
    // Written before the connection opens, net.Socket keeps them in order until it does.
    for (const command of this.queued.splice(0)) {
      socket.write(JSON.stringify(command) + '\n');
    }
    createInterface({ input: socket }).on('line', line => {
      this.closed = forwardEventLine(line, this.host.pid, this.events) || this.closed;
    });
  }
}
