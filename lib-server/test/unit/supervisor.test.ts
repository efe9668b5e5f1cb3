import { jest } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunnerEvent } from '../../src/runner/protocol.js';
import { RunnerProcess } from '../../src/runner/supervisor.js';

// Fake runners: shell scripts run as `sh <script> run`, in place of `python runner.py run`.
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'supervisor-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function fakeRunner(script: string, grace: { closeGraceMs?: number; termGraceMs?: number } = {}) {
  const runnerPath = path.join(dir, 'runner.sh');
  writeFileSync(runnerPath, script);
  const logFile = path.join(dir, 'runner.log');
  const runner = new RunnerProcess({ python: '/bin/sh', runnerPath, logFile, ...grace });
  const events: RunnerEvent[] = [];
  runner.events.connect(event => events.push(event));
  return { runner, events, logFile };
}

describe('RunnerProcess', () => {
  it('passes commands and events as JSON lines, and logs stderr to a file', async () => {
    const { runner, events, logFile } = fakeRunner(`
read line
echo "got: $line" >&2
echo '{"event": "started", "scheduler_address": "tcp://127.0.0.1:1", "dashboard_address": null}'
echo 'not json'
read line
echo '{"event": "closed"}'
`);
    const complaints = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    runner.send({ op: 'scale', workers: 2 });
    const exit = await runner.stop();
    expect(complaints).toHaveBeenCalledWith(expect.stringContaining('ignoring a line: not JSON: not json'));
    complaints.mockRestore();
    expect(exit).toEqual({ code: 0, signal: null, closed: true });
    expect(events).toEqual([
      { event: 'started', scheduler_address: 'tcp://127.0.0.1:1', dashboard_address: null },
      { event: 'closed' }
    ]);
    expect(readFileSync(logFile, 'utf8')).toContain('got: {"op":"scale","workers":2}');
  });

  it('reports a crash: exit without "closed"', async () => {
    const { runner } = fakeRunner('echo "Traceback: boom" >&2\nexit 3\n');
    expect(await runner.exited).toEqual({ code: 3, signal: null, closed: false });
  });

  it('escalates to SIGTERM, then SIGKILL of the whole group, when close is ignored', async () => {
    const { runner } = fakeRunner(
      `trap '' TERM\nsleep 30 &\nchild=$!\necho "{\\"event\\": \\"error\\", \\"message\\": \\"$child\\"}"\nwhile :; do sleep 1; done\n`,
      {
        closeGraceMs: 300,
        termGraceMs: 300
      }
    );
    const child = await new Promise<number>(resolve =>
      runner.events.connect(event => event.event === 'error' && resolve(Number(event.message)))
    );
    const started = Date.now();
    const exit = await runner.stop();
    expect(exit.signal).toBe('SIGKILL');
    expect(Date.now() - started).toBeLessThan(5_000);
    // The grandchild in the same process group went too (at most a zombie
    // is left, when PID 1 does not reap orphans).
    await new Promise(resolve => setTimeout(resolve, 100));
    expect(alive(child)).toBe(false);
  });

  it('says when the interpreter cannot be started', async () => {
    const runner = new RunnerProcess({
      python: path.join(dir, 'no-python'),
      runnerPath: 'x',
      logFile: path.join(dir, 'log')
    });
    const exit = await runner.exited;
    expect(exit.closed).toBe(false);
    expect(exit.spawnError).toMatch(/ENOENT/);
    expect(runner.send({ op: 'close' })).toBe(false);
  });
});
