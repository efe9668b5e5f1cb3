/**
 * Things going wrong: a stop during the start, a runner killed, the
 * companion killed, restarted, terminated, or orphaned. Nothing may be left
 * running, and nothing may be forgotten.
 */

import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import type { IClusterModel, ISnippet } from '../../../protocol/index.js';
import {
  childrenOf,
  Companion,
  groupMembers,
  isRunning,
  makeTestDirs,
  PYTHON,
  removeTestDirs,
  waitFor,
  type ITestDirs
} from './harness.js';

const SMALL = { type: 'local', options: { workers: 1, threads_per_worker: 1, memory_per_worker: '512 MiB' } };

let dirs: ITestDirs;
let companion: Companion;

function scratchOf(id: string): string {
  return path.join(dirs.tmp, `dask-clusters-${process.getuid!()}`, id);
}

async function create(): Promise<IClusterModel> {
  const answer = await companion.request('POST', '/api/clusters', SMALL);
  expect(answer.status).toBe(201);
  return answer.json as IClusterModel;
}

/** A running one-worker cluster and its runner's pid (= process group), with the worker in it. */
async function startRunning(): Promise<{ cluster: IClusterModel; pid: number }> {
  const cluster = await create();
  await waitFor(
    `cluster ${cluster.id} running with its worker`,
    async () => {
      const model = (await companion.request('GET', `/api/clusters/${cluster.id}`)).json as IClusterModel;
      return model.state === 'running' && model.workers === 1;
    },
    60_000
  );
  const pid = companion.runnerPid(cluster.id)!;
  expect(groupMembers(pid).length).toBeGreaterThanOrEqual(2);
  return { cluster, pid };
}

beforeAll(() => {
  dirs = makeTestDirs('failures');
});

afterAll(async () => {
  await companion?.stop('SIGKILL');
  removeTestDirs(dirs);
});

describe('with one companion', () => {
  beforeAll(async () => {
    companion = await Companion.start(dirs);
  }, 30_000);

  it('stops a cluster that is still starting', async () => {
    const events = await companion.events();
    const cluster = await create();
    const pid = companion.runnerPid(cluster.id)!;
    const answer = await companion.request('DELETE', `/api/clusters/${cluster.id}`);
    expect(answer.status).toBe(202);
    await events.waitForCluster(cluster.id, 'stopped', m => m.state === 'stopped');
    // The runner abandoned the start: it never reported a running cluster.
    expect(events.states(cluster.id)).toEqual(['starting', 'stopping', 'stopped']);
    events.close();
    // Its runner host ends after its last cluster.
    await waitFor('the runner host and its workers to exit', () => groupMembers(pid).length === 0, 10_000);
    expect(existsSync(scratchOf(cluster.id))).toBe(false);
  }, 60_000);

  it('marks a cluster failed, with its log tail, when its runner is killed', async () => {
    const { cluster, pid } = await startRunning();
    process.kill(pid, 'SIGKILL');

    const failed = await waitFor('the failed state', async () => {
      const model = (await companion.request('GET', `/api/clusters/${cluster.id}`)).json as IClusterModel;
      return model.state === 'failed' ? model : undefined;
    });
    expect(failed.error).toBe('The runner exited unexpectedly (killed by SIGKILL).');
    expect(failed.logTail?.length).toBeGreaterThan(3);
    expect(failed.logTail?.join('\n')).toContain('distributed.');
    expect(failed).toMatchObject({ workers: 0, hasDashboard: false });
    // The companion takes the worker processes down with the runner.
    await waitFor('the worker processes to go', () => groupMembers(pid).length === 0, 10_000);
    expect(existsSync(scratchOf(cluster.id))).toBe(false);
  }, 90_000);

  it('warns on the item when workers are killed for memory again and again, instead of "running, 0 workers"', async () => {
    const events = await companion.events();
    const answer = await companion.request('POST', '/api/clusters', {
      type: 'local',
      name: 'too small',
      options: { workers: 1, threads_per_worker: 1, memory_per_worker: '256 MiB' }
    });
    expect(answer.status).toBe(201);
    const cluster = answer.json as IClusterModel;
    await events.waitForCluster(cluster.id, 'running', m => m.state === 'running' && m.workers === 1, 60_000);
    const snippet = ((await companion.request('GET', `/api/clusters/${cluster.id}/snippet`)).json as ISnippet).code;
    // A task that needs far more than the worker's limit: its nanny kills and restarts the worker each time.
    const hog = [
      snippet,
      'import time',
      'def hog():',
      '    data = bytearray(700 * 2**20)',
      '    for i in range(0, len(data), 4096):',
      '        data[i] = 1',
      '    time.sleep(2)',
      'try:',
      '    client.submit(hog).result(timeout=120)',
      'except Exception as error:',
      '    print(type(error).__name__)'
    ].join('\n');
    const out = execFileSync(PYTHON, ['-c', hog], { encoding: 'utf8', timeout: 150_000 });
    expect(out).toContain('KilledWorker');
    const warned = await events.waitForCluster(cluster.id, 'a warning', m => m.warning !== undefined, 30_000);
    expect(warned.state).toBe('running');
    expect(warned.warning).toMatch(
      /^Workers keep restarting: \d+ were lost in the last 60 s\. .*memory limit of 256 MiB each/
    );
    expect((await companion.request('DELETE', `/api/clusters/${cluster.id}`)).status).toBe(202);
    const stopped = await events.waitForCluster(cluster.id, 'stopped', m => m.state === 'stopped');
    expect(stopped.warning).toBeUndefined();
    // Forgotten, so the tests after this one see only their own clusters.
    expect((await companion.request('DELETE', `/api/clusters/${cluster.id}`)).status).toBe(204);
  }, 240_000);

  it('leaves no runner or worker behind when it is killed with SIGKILL', async () => {
    const { pid } = await startRunning();
    await companion.stop('SIGKILL');
    // The runner sees its stdin close, closes its cluster and exits.
    const started = Date.now();
    await waitFor('the runner and its workers to exit', () => groupMembers(pid).length === 0, 30_000);
    expect(Date.now() - started).toBeLessThan(30_000);
  }, 90_000);
});

describe('after a restart', () => {
  beforeAll(async () => {
    companion = await Companion.start(dirs);
  }, 30_000);

  it('declares lost what was running, and removes its scratch directory', async () => {
    const events = await companion.events();
    const snapshot = await events.snapshot();
    const states = Object.fromEntries(snapshot.map(model => [model.name, model.state]));
    expect(states).toEqual({ 'local 1': 'stopped', 'local 2': 'failed', 'local 3': 'lost' });
    const lost = snapshot.find(model => model.state === 'lost')!;
    expect(lost.error).toMatch(/^The companion restarted while this cluster was running/);
    expect(lost.logTail?.length).toBeGreaterThan(0);
    expect(existsSync(scratchOf(lost.id))).toBe(false);
    events.close();

    expect((await companion.request('DELETE', `/api/clusters/${lost.id}`)).status).toBe(204);
    const names = ((await companion.request('GET', '/api/clusters')).json as IClusterModel[]).map(model => model.name);
    expect(names).toEqual(['local 1', 'local 2']);
  });

  it('stops every cluster and exits 0 on SIGTERM', async () => {
    const { cluster, pid } = await startRunning();
    expect(await companion.stop('SIGTERM')).toBe(0);
    expect(groupMembers(pid)).toEqual([]);
    const registry = JSON.parse(readFileSync(path.join(dirs.state, 'clusters.json'), 'utf8')) as {
      clusters: { model: IClusterModel }[];
    };
    expect(registry.clusters.find(record => record.model.id === cluster.id)?.model.state).toBe('stopped');
    expect(existsSync(companion.socket)).toBe(false);
  }, 90_000);
});

describe('with a state directory that others can write', () => {
  it('starts nothing and answers every request with what to fix', async () => {
    const shared = makeTestDirs('unsafe');
    try {
      mkdirSync(shared.state, { recursive: true });
      chmodSync(shared.state, 0o777);
      const refusing = await Companion.start(shared);
      try {
        const answer = await refusing.request('GET', '/api/clusters');
        expect(answer.status).toBe(503);
        expect(answer.json).toEqual({
          error: 'unsafe_state_directory',
          message: `${shared.state} can be written by other users (mode 0777), who could then change your clusters. Run: chmod 700 ${shared.state}`
        });
        expect((await refusing.request('POST', '/api/clusters', SMALL)).status).toBe(503);
        expect(existsSync(path.join(shared.state, 'clusters.json'))).toBe(false);
        expect(refusing.output.join('')).toContain('refuses to start');
      } finally {
        await refusing.stop('SIGTERM');
      }
    } finally {
      removeTestDirs(shared);
    }
  }, 60_000);
});

describe('when its parent process dies', () => {
  it('stops every cluster and exits', async () => {
    companion = await Companion.start(dirs, { viaShell: true });
    const [companionPid] = childrenOf(companion.child.pid!);
    expect(companionPid).toBeDefined();
    const { cluster, pid } = await startRunning();
    await companion.stop('SIGKILL'); // the shell, not the companion
    await waitFor('the orphaned companion to exit', () => !isRunning(companionPid), 30_000);
    expect(groupMembers(pid)).toEqual([]);
    const registry = JSON.parse(readFileSync(path.join(dirs.state, 'clusters.json'), 'utf8')) as {
      clusters: { model: IClusterModel }[];
    };
    expect(registry.clusters.find(record => record.model.id === cluster.id)?.model.state).toBe('stopped');
  }, 90_000);
});
