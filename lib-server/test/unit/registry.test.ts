import { jest } from '@jest/globals';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ClusterState } from '../../../protocol/index.js';
import { ClusterManager } from '../../src/clusters/lifecycle.js';
import type { IProcessInspector } from '../../src/clusters/processes.js';
import { isOurRunner, planReconciliation } from '../../src/clusters/reconcile.js';
import { Registry, type IClusterRecord, type RegistryChange } from '../../src/clusters/registry.js';
import { preparePrivateDir, UnsafeDirectoryError } from '../../src/util/files.js';
import { DEFAULT_LIMITS } from '../../src/settings.js';

const RUNNER = '/site/jupyterlab_dask_clusters/runner.py';

function record(
  id: string,
  state: ClusterState,
  runnerPid?: number,
  extra: Partial<IClusterRecord> = {}
): IClusterRecord {
  return {
    model: {
      id,
      name: `local ${id}`,
      type: 'local',
      state,
      createdAt: `2026-01-01T00:00:0${id.length}Z`,
      spec: { type: 'local', options: {} },
      scaling: { mode: 'fixed', workers: 2 },
      workers: state === 'running' ? 2 : 0,
      cores: 0,
      memory: 0,
      environment: { python: '/usr/bin/python3', label: 'py' },
      hasDashboard: state === 'running',
      jobs: []
    },
    runnerPid,
    workDirs: [],
    logFile: '/nonexistent.log',
    ...extra
  };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'registry-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('Registry', () => {
  it('persists every change atomically, private to the user', () => {
    const stateDir = path.join(dir, 'state');
    const registry = Registry.open(stateDir);
    const changes: RegistryChange[] = [];
    registry.changed.connect(change => changes.push(change));
    registry.put(record('a', 'running', 10));
    registry.update('a', r => {
      r.model.workers = 5;
    });
    registry.put(record('bb', 'stopped'));
    registry.remove('bb');

    expect(statSync(stateDir).mode & 0o777).toBe(0o700);
    expect(statSync(registry.file).mode & 0o777).toBe(0o600);
    expect(readdirSync(stateDir)).toEqual(['clusters.json']); // no temporary file left
    expect(changes.map(c => (c.kind === 'cluster' ? `${c.cluster.id}:${c.cluster.workers}` : `-${c.id}`))).toEqual([
      'a:2',
      'a:5',
      'bb:0',
      '-bb'
    ]);

    const reopened = Registry.open(stateDir);
    expect(reopened.list().map(r => [r.model.id, r.model.workers, r.runnerPid])).toEqual([['a', 5, 10]]);
  });

  it('makes an existing state directory private', () => {
    const stateDir = path.join(dir, 'open');
    mkdirSync(stateDir, { mode: 0o755 });
    chmodSync(stateDir, 0o755);
    Registry.open(stateDir);
    expect(statSync(stateDir).mode & 0o777).toBe(0o700);
  });

  it('refuses a state directory that others can write, saying what to run', () => {
    const stateDir = path.join(dir, 'shared');
    mkdirSync(stateDir);
    chmodSync(stateDir, 0o775);
    expect(() => Registry.open(stateDir)).toThrow(
      new UnsafeDirectoryError(
        `${stateDir} can be written by other users (mode 0775), who could then change your clusters. Run: chmod 700 ${stateDir}`
      )
    );
    expect(existsSync(path.join(stateDir, 'clusters.json'))).toBe(false);
  });

  it('refuses a state directory of another user', () => {
    const stateDir = path.join(dir, 'theirs');
    mkdirSync(stateDir, { mode: 0o700 });
    chownSync(stateDir, 4321, 4321);
    expect(() => Registry.open(stateDir)).toThrow(
      /belongs to user id 4321, not to you .*JUPYTERLAB_DASK_CLUSTERS_STATE_DIR/
    );
  });

  it('refuses a state directory under a world-writable parent without the sticky bit', () => {
    const open = path.join(dir, 'open-parent');
    mkdirSync(open);
    chmodSync(open, 0o777);
    expect(() => preparePrivateDir(path.join(open, 'state'))).toThrow(
      /can be written by anyone \(mode 0777\) and lacks the sticky bit/
    );
    chmodSync(open, 0o1777);
    expect(() => preparePrivateDir(path.join(open, 'state2'))).not.toThrow();
  });

  it('keeps the registry file 0600 even when it was copied in with a wider mode', () => {
    writeFileSync(path.join(dir, 'clusters.json'), '{"version": 1, "clusters": []}');
    chmodSync(path.join(dir, 'clusters.json'), 0o644);
    Registry.open(dir);
    expect(statSync(path.join(dir, 'clusters.json')).mode & 0o777).toBe(0o600);
  });

  it('sets a corrupt file aside instead of failing', () => {
    writeFileSync(path.join(dir, 'clusters.json'), '{"version": 1, "clus');
    const spy = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const registry = Registry.open(dir);
    spy.mockRestore();
    expect(registry.list()).toEqual([]);
    expect(readdirSync(dir).some(name => name.startsWith('clusters.json.corrupt-'))).toBe(true);
  });
});

describe('planReconciliation', () => {
  const inspector = (alive: Record<number, string[] | undefined>): IProcessInspector => ({
    isAlive: pid => pid in alive,
    cmdline: pid => alive[pid],
    startTime: () => undefined
  });

  it('recognises our runner by its command line', () => {
    expect(isOurRunner(['/env/bin/python', RUNNER, 'run'], RUNNER)).toBe(true);
    expect(isOurRunner(['/env/bin/python', '/old/site/runner.py', 'run'], RUNNER)).toBe(true);
    expect(isOurRunner(['/env/bin/python', RUNNER, 'probe'], RUNNER)).toBe(false);
    expect(isOurRunner(['vim', 'notes.txt'], RUNNER)).toBe(false);
  });

  it('declares lost what had a runner, and stops live runners of ours', () => {
    const records = [
      record('dead', 'running', 100),
      record('live', 'starting', 200),
      record('reused', 'stopping', 300),
      record('nopid', 'starting'),
      record('done', 'stopped', 200),
      record('broke', 'failed')
    ];
    const actions = planReconciliation(
      records,
      inspector({ 200: ['/env/bin/python', RUNNER, 'run'], 300: ['bash'] }),
      RUNNER
    );
    expect(actions.map(a => [a.id, a.killGroup])).toEqual([
      ['dead', undefined],
      ['live', 200],
      ['reused', undefined],
      ['nopid', undefined]
    ]);
    expect(actions[0].error).toBe(
      'The companion restarted while this cluster was running, and its runner (pid 100) is gone.'
    );
    expect(actions[1].error).toContain('cannot be re-adopted');
  });
});

describe('ClusterManager.reconcile', () => {
  it('marks lost clusters with their log tail and removes their scratch directories', () => {
    const scratch = path.join(dir, 'scratch', 'c1');
    mkdirSync(scratch, { recursive: true });
    const logFile = path.join(dir, 'c1.log');
    writeFileSync(logFile, Array.from({ length: 80 }, (_, i) => `line ${i}`).join('\n') + '\n');
    const registry = new Registry(dir, [
      record('c1', 'running', 4242, { workDirs: [scratch], logFile, dashboardUrl: 'http://127.0.0.1:1' })
    ]);
    const manager = new ClusterManager({
      registry,
      backends: new Map(),
      runnerPath: RUNNER,
      stateDir: dir,
      baseUrl: '/dask-clusters/',
      limits: () => DEFAULT_LIMITS
    });
    manager.reconcile({ isAlive: () => false, cmdline: () => undefined, startTime: () => undefined });

    const model = registry.get('c1')!.model;
    expect(model.state).toBe('lost');
    expect(model.error).toContain('pid 4242');
    expect(model.hasDashboard).toBe(false);
    expect(model.workers).toBe(0);
    expect(model.logTail).toHaveLength(50);
    expect(model.logTail?.at(-1)).toBe('line 79');
    expect(registry.get('c1')!.dashboardUrl).toBeUndefined();
    expect(existsSync(scratch)).toBe(false);
    // Persisted, so the next companion sees it too.
    expect(JSON.parse(readFileSync(registry.file, 'utf8')).clusters[0].model.state).toBe('lost');
  });

  it('forgets an ended cluster on remove, but refuses unknown ids', () => {
    const logFile = path.join(dir, 'c2.log');
    writeFileSync(logFile, 'x\n');
    const registry = new Registry(dir, [record('c2', 'failed', undefined, { logFile })]);
    const manager = new ClusterManager({
      registry,
      backends: new Map(),
      runnerPath: RUNNER,
      stateDir: dir,
      baseUrl: '/dask-clusters/',
      limits: () => DEFAULT_LIMITS
    });
    expect(manager.logTail('c2')).toEqual(['x']);
    expect(manager.remove('c2')).toEqual({ outcome: 'forgotten' });
    expect(registry.get('c2')).toBeUndefined();
    expect(existsSync(logFile)).toBe(false);
    expect(() => manager.remove('c2')).toThrow('No cluster with id "c2".');
  });
});
