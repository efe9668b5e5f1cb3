/**
 * Two JupyterLab servers of one user on one state directory: each companion
 * keeps its own entries, shows the other's, never stops or marks lost a
 * cluster whose owner runs (here or on another host), and takes over the
 * entries of an owner that has stopped.
 */

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { ClusterState } from '../../../protocol/index.js';
import { ClusterManager } from '../../src/clusters/lifecycle.js';
import { standing, type IOwner } from '../../src/clusters/owner.js';
import type { IProcessInspector } from '../../src/clusters/processes.js';
import { Registry, type IClusterRecord, type RegistryChange } from '../../src/clusters/registry.js';
import { DEFAULT_LIMITS } from '../../src/settings.js';

const RUNNER = '/site/jupyterlab_dask_clusters/runner.py';
const HOST = os.hostname();

/** Processes by pid: their start time; absent pids are dead. */
function inspector(processes: Record<number, string>): IProcessInspector {
  return {
    isAlive: pid => pid in processes,
    cmdline: pid => (pid in processes ? ['/env/bin/python', RUNNER, 'run'] : undefined),
    startTime: pid => processes[pid]
  };
}

function owner(pid: number, start: string, host = HOST, socket?: string): IOwner {
  return { host, pid, start, since: '2026-12-01T08:00:00.000Z', ...(socket !== undefined ? { socket } : {}) };
}

function record(id: string, state: ClusterState, extra: Partial<IClusterRecord> = {}): IClusterRecord {
  return {
    model: {
      id,
      name: `slurm ${id}`,
      type: 'slurm',
      state,
      createdAt: `2026-12-01T09:00:0${id.length}Z`,
      spec: { type: 'slurm', options: {} },
      scaling: { mode: 'fixed', workers: 2 },
      workers: 0,
      cores: 0,
      memory: 0,
      environment: { python: '/usr/bin/python3', label: 'py' },
      hasDashboard: false,
      jobs: [{ id: '4711', state: 'RUNNING' }]
    },
    runnerPid: 7001,
    jobIds: ['4711'],
    workDirs: [],
    logFile: '/nonexistent.log',
    ...extra
  };
}

function manager(registry: Registry): ClusterManager {
  return new ClusterManager({
    registry,
    backends: new Map(),
    runnerPath: RUNNER,
    stateDir: dir,
    baseUrl: '/dask-clusters/',
    limits: () => DEFAULT_LIMITS
  });
}

function fileStates(file: string): Record<string, string> {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { clusters: IClusterRecord[] };
  return Object.fromEntries(parsed.clusters.map(r => [r.model.id, `${r.model.state}@${r.owner?.pid ?? '-'}`]));
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'jdc-owner-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('owner standing', () => {
  const self = owner(100, 't100');
  it('tells this companion, a live one, a stopped one, a reused pid and another host apart', () => {
    const processes = inspector({ 100: 't100', 200: 't200', 300: 'someone-else' });
    expect(standing(owner(100, 't100'), self, processes)).toBe('self');
    expect(standing(owner(200, 't200'), self, processes)).toBe('alive');
    expect(standing(owner(250, 't250'), self, processes)).toBe('gone');
    expect(standing(owner(300, 't300'), self, processes)).toBe('gone'); // the pid now runs something else
    expect(standing(owner(999, 't999', 'login02'), self, processes)).toBe('elsewhere');
    expect(standing(undefined, self, processes)).toBe('gone');
  });
});

describe('two companions on one state directory', () => {
  const processes = inspector({ 100: 't100', 200: 't200', 7001: 'r7001' });
  const first = owner(100, 't100');
  const second = owner(200, 't200');

  it('the second one neither stops nor marks lost the first one’s running clusters, and shows them', () => {
    const a = Registry.open(dir, { owner: first, inspector: processes });
    a.put(record('aa', 'running'));

    const b = Registry.open(dir, { owner: second, inspector: processes });
    manager(b).reconcile(processes);
    expect(b.list()).toEqual([]);
    expect(b.models().map(m => [m.id, m.state, m.elsewhere?.pid])).toEqual([['aa', 'running', 100]]);
    expect(fileStates(a.file)).toEqual({ aa: 'running@100' });

    // Each writes its own entries and keeps the other's.
    b.put(record('bbb', 'running'));
    a.update('aa', r => {
      r.model.workers = 2;
    });
    expect(fileStates(a.file)).toEqual({ aa: 'running@100', bbb: 'running@200' });

    // The second one follows the first one's changes.
    const seen: RegistryChange[] = [];
    b.changed.connect(change => seen.push(change));
    b.refresh();
    expect(seen).toEqual([{ kind: 'cluster', cluster: expect.objectContaining({ id: 'aa', workers: 2 }) }]);
    a.remove('aa');
    b.refresh();
    expect(seen.at(-1)).toEqual({ kind: 'removed', id: 'aa' });
    expect(b.models().map(m => m.id)).toEqual(['bbb']);
  });

  it('a write that lost the other one’s entry is mended at its next look', () => {
    const a = Registry.open(dir, { owner: first, inspector: processes });
    a.put(record('aa', 'running'));
    // As if the second server's write raced the first one's and won with an older file.
    writeFileSync(a.file, JSON.stringify({ version: 1, clusters: [] }));
    a.refresh();
    expect(fileStates(a.file)).toEqual({ aa: 'running@100' });
  });

  it('takes over, as lost, the entries of a server of this host that has stopped', () => {
    const a = Registry.open(dir, { owner: first, inspector: processes });
    a.put(record('aa', 'running'));
    const b = Registry.open(dir, { owner: second, inspector: processes });
    manager(b).reconcile(processes);
    expect(b.list()).toEqual([]);

    const afterwards = inspector({ 200: 't200' }); // the first server and its runner are gone
    const c = Registry.open(dir, { owner: second, inspector: afterwards });
    manager(c).reconcile(afterwards);
    const taken = c.get('aa');
    expect(taken?.model.state).toBe('lost');
    expect(taken?.owner?.pid).toBe(200);
    expect(taken?.model.error).toContain('runner (pid 7001) is gone');
    expect(fileStates(c.file)).toEqual({ aa: 'lost@200' });
  });

  it('takes over while running when the other server stops later', () => {
    const processesNow: Record<number, string> = { 100: 't100', 200: 't200' };
    const live: IProcessInspector = {
      isAlive: pid => pid in processesNow,
      cmdline: () => undefined,
      startTime: pid => processesNow[pid]
    };
    const a = Registry.open(dir, { owner: first, inspector: live });
    a.put(record('aa', 'running'));
    const b = Registry.open(dir, { owner: second, inspector: live });
    manager(b).reconcile(live);
    b.refresh();
    expect(b.get('aa')).toBeUndefined();

    delete processesNow[100];
    b.refresh();
    expect(b.get('aa')?.model.state).toBe('lost');
    expect(b.models().map(m => [m.id, m.elsewhere])).toEqual([['aa', undefined]]);
  });

  it('leaves an entry of another host alone, whatever its pid is here, and refuses to stop it from here', () => {
    writeFileSync(
      path.join(dir, 'clusters.json'),
      JSON.stringify({ version: 1, clusters: [{ ...record('far', 'running'), owner: owner(100, 't100', 'login02') }] })
    );
    const b = Registry.open(dir, { owner: second, inspector: inspector({ 200: 't200' }) });
    const m = manager(b);
    m.reconcile(inspector({ 200: 't200' }));
    b.refresh();
    expect(b.list()).toEqual([]);
    expect(m.list().map(model => [model.id, model.state, model.elsewhere?.host])).toEqual([
      ['far', 'running', 'login02']
    ]);
    expect(fileStates(b.file)).toEqual({ far: 'running@100' });
    expect(() => m.remove('far')).toThrow(
      'Cluster "slurm far" runs in the JupyterLab on login02 (companion pid 100); stop or change it there.'
    );
    expect(() => m.scale('far', { mode: 'fixed', workers: 1 })).toThrow('runs in the JupyterLab on login02');
    expect(fileStates(b.file)).toEqual({ far: 'running@100' });
  });

  it('asks the owning companion of this host to stop its cluster, over that companion’s socket', async () => {
    const socket = path.join(dir, 'peer.sock');
    const asked: string[] = [];
    const peer = createServer((req, res) => {
      asked.push(`${req.method} ${req.url} cookie=${req.headers.cookie ?? 'none'}`);
      res.writeHead(202).end();
    });
    await new Promise<void>(resolve => peer.listen(socket, resolve));
    try {
      const a = Registry.open(dir, { owner: owner(100, 't100', HOST, socket), inspector: processes });
      a.put(record('aa', 'running'));
      const b = Registry.open(dir, { owner: second, inspector: processes });
      const answer = manager(b).remove('aa');
      expect(answer).toEqual({ outcome: 'stopping', model: expect.objectContaining({ id: 'aa', state: 'stopping' }) });
      for (let i = 0; i < 50 && asked.length === 0; i++) {
        await new Promise(resolve => setTimeout(resolve, 20));
      }
      expect(asked).toEqual(['DELETE /api/clusters/aa cookie=none']);
      // Nothing changed here: the owner stops it, and its entry says so.
      expect(fileStates(b.file)).toEqual({ aa: 'running@100' });
    } finally {
      peer.close();
    }
  });
});
