/** runner.py on its own: probe, kernelspecs, and the line protocol's edges. */

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { groupMembers, PYTHON, RUNNER, waitFor } from './harness.js';

/** Run `runner.py run`, feed it `lines`, and collect its stdout events until it exits. */
async function run(
  lines: string[],
  options: {
    closeStdin?: boolean;
    signalAfterStart?: NodeJS.Signals;
    env?: Record<string, string>;
    args?: string[];
  } = {}
) {
  const child = spawn(PYTHON, [RUNNER, 'run', ...(options.args ?? [])], {
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env, ...options.env }
  });
  const events: Record<string, unknown>[] = [];
  let stdout = '';
  child.stdout.on('data', chunk => {
    stdout += String(chunk);
    const parts = stdout.split('\n');
    stdout = parts.pop() ?? '';
    for (const line of parts) {
      events.push(JSON.parse(line) as Record<string, unknown>);
      if (options.signalAfterStart && events.at(-1)?.event === 'workers') {
        child.kill(options.signalAfterStart);
      }
    }
  });
  let stderr = '';
  child.stderr.on('data', chunk => (stderr += String(chunk)));
  for (const line of lines) {
    child.stdin.write(`${line}\n`);
  }
  if (options.closeStdin !== false) {
    child.stdin.end();
  }
  const code = await new Promise<number | null>(resolve => child.once('exit', resolve));
  child.stdin.destroy();
  return { code, events, stderr, pid: child.pid! };
}

const START = (clusterClass: string) =>
  JSON.stringify({
    op: 'start',
    cluster_id: 'test',
    cluster_class: clusterClass,
    kwargs: {
      n_workers: 1,
      silence_logs: false,
      processes: true,
      threads_per_worker: 1,
      memory_limit: 2 ** 29,
      dashboard_address: ':0',
      host: '127.0.0.1'
    },
    config: { 'distributed.worker.memory.target': 0.7 },
    scaling: { mode: 'fixed', workers: 1 }
  });

describe('runner.py probe', () => {
  it("reports versions and only the memory settings the user's dask config makes", async () => {
    const { stdout } = await execa(PYTHON, [RUNNER, 'probe'], {
      env: { DASK_DISTRIBUTED__WORKER__MEMORY__TARGET: '0.6', DASK_CONFIG: '/nonexistent' }
    });
    const probe = JSON.parse(stdout) as {
      packages: Record<string, string | null>;
      config: Record<string, unknown>;
      python_version: string;
    };
    expect(probe.packages.distributed).toMatch(/^\d{4}\.\d+\.\d+/);
    expect(probe.packages.dask_jobqueue === null || typeof probe.packages.dask_jobqueue === 'string').toBe(true);
    expect(probe.python_version).toMatch(/^3\.\d+\.\d+$/);
    expect(probe.config).toEqual({ 'distributed.worker.memory.target': 0.6 });
  });

  it('does not fail without distributed', async () => {
    const { stdout } = await execa(PYTHON, ['-S', RUNNER, 'probe']);
    expect(JSON.parse(stdout)).toMatchObject({ packages: { distributed: null, dask: null }, config: {} });
  });

  it('lists kernelspecs as JSON', async () => {
    const { stdout } = await execa(PYTHON, [RUNNER, 'kernelspecs']);
    expect(JSON.parse(stdout)).toHaveProperty('python3.spec.language', 'python');
  });
});

describe('runner.py run', () => {
  it('exits cleanly when stdin ends before a start', async () => {
    expect(await run([])).toMatchObject({ code: 0, events: [{ event: 'closed' }] });
  });

  it('as a spare (--spare), exits cleanly too when stdin ends before a start', async () => {
    expect(await run([], { args: ['--spare'] })).toMatchObject({ code: 0, events: [{ event: 'closed' }] });
  });

  it("logs to the start command's log_file from the start on, its workers too", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'runner-log-'));
    const logFile = path.join(dir, 'cluster.log');
    try {
      const start = { ...(JSON.parse(START('distributed.LocalCluster')) as object), log_file: logFile };
      const result = await run([JSON.stringify(start)], {
        closeStdin: false,
        signalAfterStart: 'SIGTERM',
        args: ['--spare']
      });
      expect(result.code).toBe(0);
      expect(result.events.map(e => e.event)).toEqual(['started', 'workers', 'workers', 'closed']);
      const log = readFileSync(logFile, 'utf8');
      expect(log).toContain('distributed.scheduler');
      expect(log).toContain('distributed.worker'); // a worker process's line
      expect(statSync(logFile).mode & 0o777).toBe(0o600);
      expect(result.stderr).not.toContain('distributed.');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('refuses a first command that is not a start', async () => {
    const result = await run(['{"op": "scale", "workers": 2}']);
    expect(result.code).toBe(2);
    expect(result.events).toEqual([
      { event: 'error', message: expect.stringContaining('expected a start command first'), traceback: '' }
    ]);
  });

  it('reports a start it cannot do, and exits 1 without "closed"', async () => {
    // stdin stays open: the runner must exit on its own.
    const result = await run([START('dask_kubernetes.KubeCluster')], { closeStdin: false });
    expect(result.code).toBe(1);
    expect(result.events).toHaveLength(1);
    expect(result.events[0]).toMatchObject({
      event: 'error',
      message: expect.stringContaining("No module named 'dask_kubernetes'")
    });
    expect(result.events[0].traceback).toContain('Traceback');
  });

  it('closes its cluster on SIGTERM, keeping stdout for the protocol only', async () => {
    const result = await run([START('distributed.LocalCluster')], { closeStdin: false, signalAfterStart: 'SIGTERM' });
    expect(result.code).toBe(0);
    expect(result.events.map(e => e.event)).toEqual(['started', 'workers', 'workers', 'closed']);
    expect(result.events[1]).toEqual({ event: 'workers', workers: 1, cores: 1, memory: 2 ** 29 });
    // Closing retires the worker, and that is reported too.
    expect(result.events[2]).toEqual({ event: 'workers', workers: 0, cores: 0, memory: 0 });
    // distributed logs went to stderr, not into the protocol.
    expect(result.stderr).toContain('distributed.');
    await waitFor('the worker processes to exit', () => groupMembers(result.pid).length === 0, 10_000);
  }, 60_000);

  it('reports no dashboard, and why, in an environment where bokeh cannot be imported', async () => {
    const stubs = mkdtempSync(path.join(os.tmpdir(), 'no-bokeh-'));
    mkdirSync(path.join(stubs, 'bokeh'));
    writeFileSync(path.join(stubs, 'bokeh', '__init__.py'), 'raise ImportError("bokeh is hidden in this test")\n');
    try {
      const result = await run([START('distributed.LocalCluster')], {
        closeStdin: false,
        signalAfterStart: 'SIGTERM',
        env: { PYTHONPATH: stubs }
      });
      expect(result.events[0]).toEqual({
        event: 'started',
        scheduler_address: expect.stringMatching(/^tcp:\/\/127\.0\.0\.1:\d+$/),
        dashboard_address: null,
        dashboard_missing: `bokeh is not installed in ${PYTHON}`
      });
    } finally {
      rmSync(stubs, { recursive: true, force: true });
    }
  }, 60_000);
});
