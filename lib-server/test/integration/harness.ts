/**
 * Runs the real companion (the bundle global-setup builds) on a temporary
 * Unix socket, with a temporary state directory, the real runner.py and the
 * project's virtualenv; and talks to it over HTTP and WebSocket.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync
} from 'node:fs';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import type { IClusterModel, IServerEvent } from '../../../protocol/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..', '..');

/** The project's virtualenv, which has distributed. */
export const PYTHON = path.join(repo, '.venv', 'bin', 'python');
export const RUNNER = path.join(repo, 'jupyterlab_dask_clusters', 'runner.py');
const BUNDLE = path.join(repo, 'lib-server', 'dist', 'test', 'main.mjs');

/** An HTTP answer. */
export interface IAnswer {
  status: number;
  body: string;
  json: unknown;
  headers: Record<string, string | string[] | undefined>;
}

/** Wait until `check` returns something other than undefined/false, or fail after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 30_000
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise(resolve => setTimeout(resolve, 100));
  }
}

/** Live (non-zombie) processes, with their parent and process group. */
function processes(): { pid: number; ppid: number; pgrp: number }[] {
  const found: { pid: number; ppid: number; pgrp: number }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // Fields after the command name, which may contain spaces: state ppid pgrp ...
    const [state, ppid, pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (state !== 'Z') {
      found.push({ pid: Number(entry), ppid: Number(ppid), pgrp: Number(pgrp) });
    }
  }
  return found;
}

/** Live processes whose process group is `pgid`. */
export function groupMembers(pgid: number): number[] {
  return processes().flatMap(p => (p.pgrp === pgid ? [p.pid] : []));
}

/** Whether `pid` is a live (non-zombie) process. */
export function isRunning(pid: number): boolean {
  return processes().some(p => p.pid === pid);
}

/** Live children of `pid`. */
export function childrenOf(pid: number): number[] {
  return processes().flatMap(p => (p.ppid === pid ? [p.pid] : []));
}

/** Events seen on `api/events`, in order. */
export class EventLog {
  readonly events: IServerEvent[] = [];
  private readonly socket: WebSocket;
  readonly opened: Promise<void>;

  constructor(socketPath: string) {
    this.socket = new WebSocket(`ws+unix://${socketPath}:/api/events`);
    this.socket.on('message', data => this.events.push(JSON.parse(String(data)) as IServerEvent));
    this.opened = new Promise((resolve, reject) => {
      this.socket.once('open', () => resolve());
      this.socket.once('error', reject);
    });
  }

  /** The snapshot the stream starts with (waits for it). */
  async snapshot(): Promise<IClusterModel[]> {
    const first = await waitFor('the snapshot', () => this.events[0], 10_000);
    if (first.kind !== 'snapshot') {
      throw new Error(`the stream started with ${first.kind}, not a snapshot`);
    }
    return first.clusters;
  }

  /** Every state a cluster went through, from `cluster` events (repeats collapsed). */
  states(id: string): string[] {
    const states: string[] = [];
    for (const model of this.models(id)) {
      if (states.at(-1) !== model.state) {
        states.push(model.state);
      }
    }
    return states;
  }

  /** The models of `cluster` events for `id`. */
  models(id: string): IClusterModel[] {
    return this.events.flatMap(event => (event.kind === 'cluster' && event.cluster.id === id ? [event.cluster] : []));
  }

  /** The first `cluster` event for `id` that satisfies `test` (waits for it). */
  waitForCluster(
    id: string,
    what: string,
    test: (model: IClusterModel) => boolean,
    timeoutMs = 60_000
  ): Promise<IClusterModel> {
    return waitFor(
      `${what} (cluster ${id}; states so far ${this.states(id).join(' -> ')})`,
      () => this.models(id).find(test),
      timeoutMs
    );
  }

  close(): void {
    this.socket.close();
  }
}

/** A companion process with its own socket and state directory. */
export class Companion {
  private constructor(
    readonly child: ChildProcess,
    readonly socket: string,
    readonly dirs: ITestDirs,
    readonly output: string[]
  ) {}

  /**
   * Start a companion on `dirs` and wait until it answers. With `viaShell`,
   * `child` is a shell whose child is the companion (as under
   * jupyter-server-proxy, whose death the companion must notice). `env`
   * adds to its environment.
   */
  static async start(
    dirs: ITestDirs,
    options: { viaShell?: boolean; env?: Record<string, string> } = {}
  ): Promise<Companion> {
    const socket = path.join(dirs.root, `companion-${Date.now()}.sock`);
    const output: string[] = [];
    const command = [process.execPath, BUNDLE, '--socket', socket, '--base-url', '/user/test/'];
    const [file, ...args] = options.viaShell ? ['/bin/sh', '-c', '"$0" "$@" & wait', ...command] : command;
    const child = spawn(file, args, {
      env: {
        ...process.env,
        NODE_OPTIONS: '',
        JUPYTERLAB_DASK_CLUSTERS_PYTHON: PYTHON,
        JUPYTERLAB_DASK_CLUSTERS_STATE_DIR: dirs.state,
        JUPYTERLAB_DASK_CLUSTERS_RUNNER: RUNNER,
        JUPYTER_DATA_DIR: dirs.jupyterData,
        TMPDIR: dirs.tmp,
        ...options.env
      },
      stdio: ['ignore', 'pipe', 'pipe']
    });
    child.stdout?.on('data', chunk => output.push(String(chunk)));
    child.stderr?.on('data', chunk => output.push(String(chunk)));
    const companion = new Companion(child, socket, dirs, output);
    await waitFor(
      `the companion to answer on ${socket} (output: ${output.join('')})`,
      async () => (await companion.request('GET', '/').catch(() => undefined))?.status === 200,
      20_000
    );
    return companion;
  }

  /** One HTTP request over the socket. */
  request(method: string, urlPath: string, body?: unknown): Promise<IAnswer> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
      const req = request(
        {
          socketPath: this.socket,
          method,
          path: urlPath,
          headers: payload ? { 'Content-Type': 'application/json' } : {}
        },
        res => {
          const chunks: Buffer[] = [];
          res.on('data', chunk => chunks.push(chunk as Buffer));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try {
              json = text ? JSON.parse(text) : undefined;
            } catch {
              json = undefined;
            }
            resolve({ status: res.statusCode ?? 0, body: text, json, headers: res.headers });
          });
        }
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Open the event stream. */
  async events(): Promise<EventLog> {
    const log = new EventLog(this.socket);
    await log.opened;
    return log;
  }

  /** Open a WebSocket to `urlPath` on the companion. */
  websocket(urlPath: string, protocols?: string[]): WebSocket {
    return new WebSocket(`ws+unix://${this.socket}:${urlPath}`, protocols);
  }

  /** The runner pid the registry file holds for `id`. */
  runnerPid(id: string): number | undefined {
    const registry = JSON.parse(readFileSync(path.join(this.dirs.state, 'clusters.json'), 'utf8')) as {
      clusters: { model: { id: string }; runnerPid?: number }[];
    };
    return registry.clusters.find(record => record.model.id === id)?.runnerPid;
  }

  /** Whether the process has exited. */
  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** Send `signal` and wait for the process to exit; resolves to its exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 40_000): Promise<number | null> {
    if (!this.exited) {
      let timer: NodeJS.Timeout | undefined;
      const exit = new Promise(resolve => this.child.once('exit', resolve));
      this.child.kill(signal);
      await Promise.race([exit, new Promise(resolve => (timer = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(timer);
    }
    return this.child.exitCode;
  }
}

/** Temporary directories of one test file. */
export interface ITestDirs {
  root: string;
  state: string;
  tmp: string;
  jupyterData: string;
  /** An interpreter (a wrapper of the virtualenv's, without site-packages) that has no distributed. */
  plainPython: string;
}

/** Fresh directories, and a kernelspec whose interpreter lacks distributed. */
export function makeTestDirs(name: string): ITestDirs {
  const root = mkdtempSync(path.join(os.tmpdir(), `companion-${name}-`));
  const dirs: ITestDirs = {
    root,
    state: path.join(root, 'state'),
    tmp: path.join(root, 'tmp'),
    jupyterData: path.join(root, 'jupyter'),
    plainPython: path.join(root, 'plain', 'bin', 'python')
  };
  mkdirSync(dirs.tmp);
  mkdirSync(path.dirname(dirs.plainPython), { recursive: true });
  // -S: no site-packages, hence no distributed.
  writeFileSync(dirs.plainPython, `#!/bin/sh\nexec ${PYTHON} -S "$@"\n`);
  chmodSync(dirs.plainPython, 0o755);
  const kernel = path.join(dirs.jupyterData, 'kernels', 'plain');
  mkdirSync(kernel, { recursive: true });
  writeFileSync(
    path.join(kernel, 'kernel.json'),
    JSON.stringify({
      argv: [dirs.plainPython, '-m', 'ipykernel_launcher', '-f', '{connection_file}'],
      display_name: 'Plain',
      language: 'python'
    })
  );
  return dirs;
}

/** Remove the directories of a test file. */
export function removeTestDirs(dirs: ITestDirs): void {
  rmSync(dirs.root, { recursive: true, force: true });
}

/**
 * The NAME=value lines a test service's script wrote (scripts/slurm, scripts/sge);
 * fails loudly, saying how to start it, when it was not started.
 */
export function serviceEnv(file: string, howToStart: string): Record<string, string> {
  if (!existsSync(file)) {
    throw new Error(`${file} is missing: ${howToStart}`);
  }
  const env: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (match) {
      env[match[1]] = match[2];
    }
  }
  return env;
}

/** What `companionPerFile` starts, there once the file's tests run. */
export class FileCompanion {
  private started?: { dirs: ITestDirs; companion: Companion; events: EventLog };

  get dirs(): ITestDirs {
    return this.current().dirs;
  }

  get companion(): Companion {
    return this.current().companion;
  }

  get events(): EventLog {
    return this.current().events;
  }

  async start(name: string): Promise<void> {
    const dirs = makeTestDirs(name);
    const companion = await Companion.start(dirs);
    this.started = { dirs, companion, events: await companion.events() };
  }

  async stop(): Promise<void> {
    const started = this.started;
    this.started = undefined;
    if (started !== undefined) {
      started.events.close();
      await started.companion.stop();
      removeTestDirs(started.dirs);
    }
  }

  private current(): NonNullable<FileCompanion['started']> {
    if (this.started === undefined) {
      throw new Error('the companion of this file is not started: use it inside its tests');
    }
    return this.started;
  }
}

/**
 * A companion of its own for the test file that calls this at its top, in
 * fresh test directories, with its event stream: started before the file's
 * tests, stopped (and its directories removed) after them.
 */
export function companionPerFile(name: string): FileCompanion {
  const file = new FileCompanion();
  beforeAll(() => file.start(name), 30_000);
  afterAll(() => file.stop(), 60_000);
  return file;
}
