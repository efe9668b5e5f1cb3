/**
 * What the browser benchmarks share: a JupyterLab with fresh Jupyter dirs on a
 * free port with a random token, Debian's Chromium through playwright-core
 * (never a downloaded browser), and the sweep that stops whatever a bench left
 * running (every process it starts inherits a marker variable).
 */

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const here = path.dirname(fileURLToPath(import.meta.url));
export const repo = path.dirname(here);
const requireFromUiTests = createRequire(path.join(repo, 'ui-tests', 'package.json'));
export const { chromium } = requireFromUiTests('playwright-core');

export const MARKER = 'JLDC_BENCH_MARK';
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--disable-background-networking', '--disable-component-update', '--disable-sync'];

const started = Date.now();
export const log = message => console.error(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${message}`);
export const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

/** Whether `promise` settles within `ms`; the timer does not outlive the answer. */
export function within(promise, ms) {
  let timer;
  const timeout = new Promise(resolve => {
    timer = setTimeout(() => resolve(false), ms);
  });
  return Promise.race([promise.then(() => true), timeout]).finally(() => clearTimeout(timer));
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Processes other than this one whose environment carries the marker. */
function markedProcesses(mark) {
  const needle = `${MARKER}=${mark}`;
  const found = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) {
      continue;
    }
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0');
      if (!environ.includes(needle)) {
        continue;
      }
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) {
        continue; // a zombie is already dead
      }
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'latin1').replaceAll('\0', ' ').trim();
      found.push({ pid: Number(entry), cmd: cmd.slice(0, 160) });
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

/** Wait up to graceMs for marked processes to end, then stop what is left; returns what had to be stopped. */
export async function sweep(mark, graceMs) {
  const deadline = Date.now() + graceMs;
  let left = markedProcesses(mark);
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(250);
    left = markedProcesses(mark);
  }
  for (const [signal, waitMs] of [
    ['SIGTERM', 5000],
    ['SIGKILL', 2000]
  ]) {
    const now = markedProcesses(mark);
    if (now.length === 0) {
      break;
    }
    for (const { pid } of now) {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
    await sleep(waitMs);
  }
  return left;
}

/** A JupyterLab with fresh Jupyter dirs, reached over HTTP with a token. */
export class Lab {
  constructor(tmp, port, extraArgs = []) {
    this.tmp = tmp;
    this.port = port;
    this.token = randomBytes(16).toString('hex');
    this.base = `http://127.0.0.1:${port}/`;
    this.logPath = path.join(tmp, 'jupyter.log');
    this.env = { ...process.env };
    for (const [name, sub] of [
      ['JUPYTER_CONFIG_DIR', 'config'],
      ['JUPYTER_DATA_DIR', 'data'],
      ['JUPYTER_RUNTIME_DIR', 'runtime'],
      ['JUPYTERLAB_SETTINGS_DIR', 'settings'],
      ['JUPYTERLAB_WORKSPACES_DIR', 'workspaces'],
      ['JUPYTERLAB_DASK_CLUSTERS_STATE_DIR', 'clusters']
    ]) {
      this.env[name] = path.join(tmp, sub);
    }
    mkdirSync(path.join(tmp, 'notebooks'));
    this.extraArgs = extraArgs;
    this.proc = undefined;
    this.exited = undefined;
  }

  async start() {
    const venvJupyter = path.join(repo, '.venv', 'bin', 'jupyter');
    const jupyter = existsSync(venvJupyter) ? venvJupyter : 'jupyter';
    const out = openSync(this.logPath, 'a');
    this.proc = spawn(
      jupyter,
      [
        'lab',
        '--no-browser',
        `--ServerApp.token=${this.token}`,
        '--ServerApp.allow_root=True',
        '--ServerApp.ip=127.0.0.1',
        `--port=${this.port}`,
        '--ServerApp.port_retries=0',
        `--ServerApp.root_dir=${path.join(this.tmp, 'notebooks')}`,
        ...this.extraArgs
      ],
      { cwd: path.join(this.tmp, 'notebooks'), env: this.env, stdio: ['ignore', out, out], detached: true }
    );
    closeSync(out);
    this.exited = new Promise(resolve => this.proc.once('exit', resolve));
    this.proc.once('error', error => log(`jupyter lab could not start: ${error.message}`));
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      if (this.proc.exitCode !== null) {
        throw new Error(`jupyter lab exited (${this.proc.exitCode}):\n${this.logTail()}`);
      }
      try {
        if ((await this.request('GET', 'api/status')).status === 200) {
          return;
        }
      } catch {
        // not listening yet
      }
      await sleep(200);
    }
    throw new Error(`jupyter lab did not answer within 120 s:\n${this.logTail()}`);
  }

  logTail(lines = 30) {
    try {
      return readFileSync(this.logPath, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  async request(method, urlPath, body) {
    const res = await fetch(this.base + urlPath, {
      method,
      headers: {
        Authorization: `token ${this.token}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' })
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(120_000)
    });
    const text = await res.text();
    let payload = text;
    try {
      payload = text ? JSON.parse(text) : null;
    } catch {
      // not JSON
    }
    return { status: res.status, body: payload };
  }

  /** Poll GET api/clusters/:id (outside the measured minute) until test(model). */
  async waitForCluster(id, test, what, timeoutMs = 180_000) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const { status, body } = await this.request('GET', `dask-clusters/api/clusters/${id}`);
      if (status === 404) {
        return undefined;
      }
      if (status === 200 && test(body)) {
        return body;
      }
      await sleep(250);
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  async stop() {
    if (this.proc === undefined || this.proc.exitCode !== null || this.proc.signalCode !== null) {
      return;
    }
    this.proc.kill('SIGTERM');
    if (!(await within(this.exited, 30_000))) {
      log('jupyter lab did not stop within 30 s of SIGTERM; killing its process group');
      try {
        process.kill(-this.proc.pid, 'SIGKILL');
      } catch {
        // gone
      }
      await within(this.exited, 10_000);
    }
  }
}

/** Write a bench's results as bench/results/<name>-<UTC time>.json and say where. */
export function writeResults(name, result, now = new Date()) {
  const resultsDir = path.join(here, 'results');
  mkdirSync(resultsDir, { recursive: true });
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const out = path.join(resultsDir, `${name}-${stamp}.json`);
  writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  console.log(`results: ${path.relative(repo, out)}`);
}
