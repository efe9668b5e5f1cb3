import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SpareRunners } from '../../src/runner/spares.js';
import { waitUntil } from './fixtures.js';

// Fake runners: a shell script run as `<shell> <script> run --spare`, which
// says its arguments on stderr and waits for a line (the start, or a close).
const SCRIPT = 'echo "args: $*" >&2\nread line\necho "got: $line" >&2\n';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'spares-'));
  writeFileSync(path.join(dir, 'runner.sh'), SCRIPT);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function alive(pid: number | undefined): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function spares(options: { idleMs?: number; maximum?: () => number } = {}): SpareRunners {
  return new SpareRunners({
    runnerPath: path.join(dir, 'runner.sh'),
    logFile: path.join(dir, 'spares.log'),
    idleMs: options.idleMs ?? 60_000,
    maximum: options.maximum ?? (() => 2),
    closeGraceMs: 2_000,
    termGraceMs: 1_000
  });
}

describe('SpareRunners', () => {
  it('starts one runner per interpreter with --spare, and hands it to the first create of that interpreter', async () => {
    const pool = spares();
    const endsAt = Date.parse(pool.warm('/bin/sh') ?? 'never');
    expect(endsAt).toBeGreaterThan(Date.now() + 50_000);
    pool.warm('/bin/sh'); // the dialog opened again: still one
    expect(pool.waiting().map(spare => spare.python)).toEqual(['/bin/sh']);
    expect(pool.take('/bin/bash', path.join(dir, 'c1.log'))).toBeUndefined();

    const runner = pool.take('/bin/sh', path.join(dir, 'c1.log'));
    expect(runner).toBeDefined();
    expect(pool.waiting()).toEqual([]);
    expect(pool.take('/bin/sh', path.join(dir, 'c2.log'))).toBeUndefined();
    expect(readFileSync(path.join(dir, 'c1.log'), 'utf8')).toMatch(
      new RegExp(`spare runner ${runner!.pid} \\(started .*\\) takes this cluster`)
    );
    runner!.send({ op: 'close' });
    await runner!.exited;
    expect(readFileSync(path.join(dir, 'spares.log'), 'utf8')).toContain('args: run --spare');
    await pool.dispose();
  });

  it('ends a spare nobody takes after its wait, and no longer offers it', async () => {
    const pool = spares({ idleMs: 300 });
    pool.warm('/bin/sh');
    const [{ pid }] = pool.waiting();
    expect(alive(pid)).toBe(true);
    await waitUntil('the spare to end', () => !alive(pid));
    expect(pool.waiting()).toEqual([]);
    expect(pool.take('/bin/sh', path.join(dir, 'c1.log'))).toBeUndefined();
    expect(readFileSync(path.join(dir, 'spares.log'), 'utf8')).toContain('got: {"op":"close"}');
  });

  it('keeps at most `maximum` spares: a new interpreter ends the oldest', async () => {
    const pool = spares({ maximum: () => 1 });
    pool.warm('/bin/sh');
    const first = pool.take('/bin/sh', path.join(dir, 'probe.log'))!;
    pool.warm('/bin/sh');
    pool.warm('/bin/bash');
    expect(pool.waiting().map(spare => spare.python)).toEqual(['/bin/bash']);
    first.send({ op: 'close' });
    await first.exited;
    await pool.dispose();
    expect(pool.waiting()).toEqual([]);
  });

  it('starts none when the limit is 0, and ends a waiting one when the limit drops to 0', async () => {
    let maximum = 0;
    const pool = spares({ maximum: () => maximum });
    expect(pool.warm('/bin/sh')).toBeUndefined();
    expect(pool.waiting()).toEqual([]);

    maximum = 2;
    expect(pool.warm('/bin/sh')).toBeDefined();
    const [{ pid }] = pool.waiting();
    maximum = 0; // the site turned them off while the dialog was open
    expect(pool.warm('/bin/sh')).toBeUndefined();
    expect(pool.waiting()).toEqual([]);
    await waitUntil('the spare to end', () => !alive(pid));
    expect(pool.take('/bin/sh', path.join(dir, 'c1.log'))).toBeUndefined();
  });

  it('drops a spare whose interpreter dies by itself', async () => {
    const pool = spares();
    pool.warm('/nonexistent/python');
    await waitUntil('the broken spare to be dropped', () => pool.waiting().length === 0);
    expect(pool.take('/nonexistent/python', path.join(dir, 'c1.log'))).toBeUndefined();
  });
});
