/**
 * Housekeeping: ended clusters beyond the number kept are forgotten (earliest
 * end first), "clear" forgets every ended one and never a live one, and a
 * create request may not take a live cluster's name (422 on /name), over HTTP.
 */

import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { ClusterState, IClusterType, IFieldError } from '../../../protocol/index.js';
import { clusterRoutes } from '../../src/api/clusters.js';
import { parseSettings } from '../../src/api/settings.js';
import type { IBackend } from '../../src/backends/backend.js';
import { duplicateName, Housekeeping } from '../../src/clusters/housekeeping.js';
import { ClusterManager } from '../../src/clusters/lifecycle.js';
import { Registry, type IClusterRecord } from '../../src/clusters/registry.js';
import { EnvironmentDiscovery } from '../../src/envs/discovery.js';
import { Router } from '../../src/http/router.js';
import { DashboardProxy } from '../../src/proxy/dashboard.js';
import { SpareRunners } from '../../src/runner/spares.js';
import { DEFAULT_KEEP_ENDED, DEFAULT_LIMITS, SettingsStore } from '../../src/settings.js';
import { runJson } from '../../src/util/exec.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'housekeeping-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A record of this companion, created `minute` minutes past the hour, without a runner. */
function record(id: string, state: ClusterState, minute: number, name = `local ${id}`): IClusterRecord {
  const logFile = path.join(dir, `${id}.log`);
  writeFileSync(logFile, 'log\n');
  return {
    model: {
      id,
      name,
      type: 'fake',
      state,
      createdAt: `2026-01-01T10:${String(minute).padStart(2, '0')}:00Z`,
      spec: { type: 'fake', options: {} },
      scaling: { mode: 'fixed', workers: 1 },
      workers: 0,
      cores: 0,
      memory: 0,
      environment: { python: '/usr/bin/python3', label: 'py' },
      hasDashboard: false,
      jobs: []
    },
    workDirs: [],
    logFile
  };
}

/** A backend that refuses every plan on its `workers` option, so nothing ever starts. */
const refusingBackend: IBackend = {
  id: 'fake',
  describe: async () => ({}) as IClusterType,
  plan: async () => ({ fields: [{ path: '/workers', message: 'Workers: at most 4 here.' }] }),
  checkScaling: () => [],
  snippet: () => '',
  tunnelCommand: () => undefined
};

function setup(records: IClusterRecord[], keep = DEFAULT_KEEP_ENDED) {
  const registry = new Registry(dir, records);
  const manager = new ClusterManager({
    registry,
    backends: new Map([[refusingBackend.id, refusingBackend]]),
    runnerPath: '/nonexistent/runner.py',
    stateDir: dir,
    baseUrl: '/dask-clusters/',
    limits: () => DEFAULT_LIMITS
  });
  let keepEnded = keep;
  const housekeeping = new Housekeeping({ registry, manager, keepEnded: () => keepEnded });
  return {
    registry,
    manager,
    housekeeping,
    ids: () => manager.list().map(model => model.id),
    keep: (n: number) => {
      keepEnded = n;
    }
  };
}

/** Let a scheduled prune run. */
const tick = () => new Promise(resolve => setImmediate(resolve));

describe('Housekeeping: keep the last N ended', () => {
  it('forgets the ended clusters beyond N at start, the oldest first, and never a live one', async () => {
    const { ids, housekeeping } = setup(
      [
        record('old', 'stopped', 1),
        record('live', 'running', 2),
        record('mid', 'failed', 3),
        record('new', 'lost', 4),
        record('starting', 'starting', 5)
      ],
      2
    );
    await tick();
    expect(ids()).toEqual(['live', 'mid', 'new', 'starting']);
    // Its log file is gone with it.
    expect(existsSync(path.join(dir, 'old.log'))).toBe(false);
    housekeeping.stop();
  });

  it('forgets by the order of ending, not of creation, once a cluster ends', async () => {
    const { ids, registry, housekeeping } = setup(
      [record('first', 'running', 1), record('second', 'stopped', 2), record('third', 'stopped', 3)],
      2
    );
    await tick();
    expect(ids()).toEqual(['first', 'second', 'third']);
    registry.update('first', r => {
      r.model.state = 'stopped';
      r.model.endReason = 'Idle for 30 minutes.';
    });
    // Every listener sees the end before it is forgotten.
    expect(ids()).toEqual(['first', 'second', 'third']);
    await tick();
    // "first" ended last: the earliest end ("second") goes.
    expect(ids()).toEqual(['first', 'third']);
    housekeeping.stop();
  });

  it('announces the end before the removal on the registry stream', async () => {
    const { registry, housekeeping } = setup([record('a', 'running', 1)], 0);
    const seen: string[] = [];
    registry.changed.connect(change =>
      seen.push(change.kind === 'removed' ? `removed ${change.id}` : `${change.cluster.id} ${change.cluster.state}`)
    );
    registry.update('a', r => {
      r.model.state = 'failed';
    });
    await tick();
    expect(seen).toEqual(['a failed', 'removed a']);
    housekeeping.stop();
  });

  it('applies a lowered N when asked to, and 0 keeps none', async () => {
    const { ids, housekeeping, keep } = setup([
      record('a', 'stopped', 1),
      record('b', 'stopped', 2),
      record('live', 'running', 3)
    ]);
    await tick();
    expect(ids()).toEqual(['a', 'b', 'live']);
    keep(0);
    housekeeping.schedule();
    await tick();
    expect(ids()).toEqual(['live']);
    housekeeping.stop();
  });
});

describe('Housekeeping: clear the ended ones', () => {
  it('forgets every ended cluster and keeps the live ones', async () => {
    const { ids, housekeeping } = setup([
      record('s', 'stopped', 1),
      record('f', 'failed', 2),
      record('l', 'lost', 3),
      record('r', 'running', 4),
      record('x', 'stopping', 5),
      record('n', 'starting', 6)
    ]);
    expect(housekeeping.clearEnded().sort()).toEqual(['f', 'l', 's']);
    expect(ids()).toEqual(['r', 'x', 'n']);
    expect(housekeeping.clearEnded()).toEqual([]);
    housekeeping.stop();
  });
});

describe('duplicateName', () => {
  const models = () => [record('a', 'running', 1, 'etl').model, record('b', 'stopped', 2, 'old').model];

  it('refuses a live cluster’s name on /name and says what to change', () => {
    const clusters = models();
    const problem = duplicateName('etl', clusters);
    expect(problem?.path).toBe('/name');
    expect(problem?.message).toContain('"etl"');
    expect(problem?.message).toContain('choose another name');
  });

  it('lets an ended cluster’s name, a new name and no name through', () => {
    const clusters = models();
    expect(duplicateName('old', clusters)).toBeUndefined();
    expect(duplicateName('fresh', clusters)).toBeUndefined();
    expect(duplicateName(undefined, clusters)).toBeUndefined();
  });

  it('counts a name whose create is under way as taken', () => {
    expect(duplicateName('fresh', models(), new Set(['fresh']))?.path).toBe('/name');
  });
});

describe('Housekeeping.create', () => {
  it('refuses the name of a live cluster of another JupyterLab server too', async () => {
    const theirs = record('theirs', 'running', 3, 'shared');
    theirs.owner = { host: 'another-login-node', pid: 4242, since: '2026-01-01T09:00:00Z' };
    const { housekeeping } = setup([theirs]);
    await expect(
      housekeeping.create({ type: 'fake', name: 'shared', options: {} }, () => Promise.reject(new Error('created')))
    ).rejects.toMatchObject({ fields: [{ path: '/name' }] });
    housekeeping.stop();
  });
});

describe('keepEnded in the settings', () => {
  it('defaults to 20 and takes 0 to 1000', () => {
    const store = new SettingsStore();
    expect(store.keepEnded()).toBe(20);
    store.current = parseSettings({ gateway: {}, workerEnvironment: {}, keepEnded: 0 });
    expect(store.keepEnded()).toBe(0);
    expect(() => parseSettings({ keepEnded: -1 })).toThrow(/keepEnded must be a whole number from 0 to 1000/);
    expect(() => parseSettings({ keepEnded: 2.5 })).toThrow(/keepEnded/);
  });
});

describe('api/clusters housekeeping routes over HTTP', () => {
  let server: Server;
  let proxy: DashboardProxy;
  let context: ReturnType<typeof setup>;
  const socketPath = () => path.join(dir, 'api.sock');

  function call(method: string, urlPath: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    return new Promise((resolve, reject) => {
      const req = request(
        { socketPath: socketPath(), method, path: urlPath, headers: { 'Content-Type': 'application/json' } },
        res => {
          let text = '';
          res.on('data', chunk => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined }));
        }
      );
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  }

  beforeEach(async () => {
    context = setup([record('live', 'running', 1, 'etl'), record('gone', 'stopped', 2, 'old')]);
    proxy = new DashboardProxy(() => undefined);
    const router = new Router();
    clusterRoutes(
      router,
      {
        registry: context.registry,
        manager: context.manager,
        backends: new Map(),
        discovery: new EnvironmentDiscovery({ serverPython: '/usr/bin/python3', runnerPath: '/x', run: runJson }),
        proxy,
        spares: new SpareRunners({ runnerPath: '/x', logFile: '/nonexistent/spares.log', idleMs: 1, maximum: () => 0 })
      },
      context.housekeeping
    );
    server = createServer((req, res) => void router.handle(req, res));
    await new Promise<void>(resolve => server.listen(socketPath(), resolve));
  });

  afterEach(async () => {
    context.housekeeping.stop();
    proxy.close();
    await new Promise(resolve => server.close(resolve));
  });

  it('refuses a live cluster’s name with a 422 on /name, before the type is asked', async () => {
    const answer = await call('POST', '/api/clusters', { type: 'fake', name: ' etl ', options: {} });
    expect(answer.status).toBe(422);
    const fields = (answer.json as { fields: IFieldError[] }).fields;
    expect(fields).toEqual([{ path: '/name', message: expect.stringContaining('choose another name') }]);
  });

  it('lets an ended cluster’s name go on to the type’s own checks', async () => {
    const answer = await call('POST', '/api/clusters', { type: 'fake', name: 'old', options: {} });
    expect(answer.status).toBe(422);
    expect((answer.json as { fields: IFieldError[] }).fields[0].path).toBe('/workers');
  });

  it('clears the ended clusters with ?ended=true only, and never a live one', async () => {
    const bare = await call('DELETE', '/api/clusters');
    expect(bare.status).toBe(400);
    expect(context.ids()).toEqual(['live', 'gone']);
    const answer = await call('DELETE', '/api/clusters?ended=true');
    expect(answer).toEqual({ status: 200, json: { forgotten: ['gone'] } });
    expect(context.ids()).toEqual(['live']);
  });
});
