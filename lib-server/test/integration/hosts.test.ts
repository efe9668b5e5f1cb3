/**
 * Local clusters of one environment share a runner host: a real companion,
 * real runner.py, real LocalClusters. They run in one process, each keeps
 * its own log, stopping one leaves the other running and scalable, a kept
 * one gets a runner of its own, the host ends with its last cluster, and a
 * host that dies takes its clusters to failed with a reason.
 * (That one hanging while it starts holds up no other is runner.py's part:
 * jupyterlab_dask_clusters/tests/test_runner_host.py.)
 */

import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { IClusterModel } from '../../../protocol/index.js';
import { companionPerFile, groupMembers, isRunning, waitFor } from './harness.js';

const SMALL = { workers: 1, threads_per_worker: 1, memory_per_worker: '512 MiB' };

const file = companionPerFile('hosts');

async function create(options: Record<string, unknown> = {}): Promise<IClusterModel> {
  const answer = await file.companion.request('POST', '/api/clusters', {
    type: 'local',
    options: { ...SMALL, ...options }
  });
  expect(answer.status).toBe(201);
  return answer.json as IClusterModel;
}

function running(id: string, workers = 1): Promise<IClusterModel> {
  return file.events.waitForCluster(
    id,
    `running with ${workers} workers`,
    m => m.state === 'running' && m.workers === workers
  );
}

async function logOf(id: string): Promise<string> {
  return ((await file.companion.request('GET', `/api/clusters/${id}/log`)).json as { lines: string[] }).lines.join(
    '\n'
  );
}

async function stop(id: string): Promise<IClusterModel> {
  expect((await file.companion.request('DELETE', `/api/clusters/${id}`)).status).toBe(202);
  return file.events.waitForCluster(id, 'stopped or failed', m => m.state === 'stopped' || m.state === 'failed');
}

describe('local clusters of one environment', () => {
  it('run in one host, keep their own logs, and stop apart', async () => {
    const first = await create();
    const second = await create();
    const [one, two] = await Promise.all([running(first.id), running(second.id)]);
    const host = file.companion.runnerPid(first.id)!;
    expect(file.companion.runnerPid(second.id)).toBe(host);
    // The host, a worker process of each, one resource tracker.
    expect(groupMembers(host)).toHaveLength(4);

    const [firstLog, secondLog] = [await logOf(first.id), await logOf(second.id)];
    expect(firstLog).toContain(one.schedulerAddress);
    expect(firstLog).not.toContain(two.schedulerAddress);
    expect(secondLog).toContain(two.schedulerAddress);
    expect(firstLog).toMatch(/distributed\.worker - INFO - +Start worker at/);

    const before = groupMembers(host);
    expect((await stop(first.id)).state).toBe('stopped');
    await waitFor('its worker to exit', () => groupMembers(host).length === before.length - 1);
    expect(isRunning(host)).toBe(true);
    const scaled = await file.companion.request('POST', `/api/clusters/${second.id}/scale`, {
      mode: 'fixed',
      workers: 2
    });
    expect(scaled.status).toBe(200);
    await running(second.id, 2);

    // Its last cluster stopped, the host ends, and its own log goes (its clusters' logs stay).
    expect((await stop(second.id)).state).toBe('stopped');
    await waitFor('the host to exit', () => groupMembers(host).length === 0);
    await waitFor('its log to go', () => readdirSync(path.join(file.dirs.state, 'hosts')).length === 0);
    expect(await logOf(second.id)).toContain(two.schedulerAddress);
  }, 120_000);

  it('a cluster that keeps running after JupyterLab stops gets a runner of its own', async () => {
    const shared = await create();
    const kept = await create({ keep_running: true });
    await Promise.all([running(shared.id), running(kept.id)]);
    expect(file.companion.runnerPid(kept.id)).not.toBe(file.companion.runnerPid(shared.id));
    await Promise.all([stop(shared.id), stop(kept.id)]);
  }, 120_000);

  it('other memory thresholds (another dask config) run in another host', async () => {
    const plain = await create();
    const other = await create({ memory_target: 0.5 });
    await Promise.all([running(plain.id), running(other.id)]);
    expect(file.companion.runnerPid(other.id)).not.toBe(file.companion.runnerPid(plain.id));
    await Promise.all([stop(plain.id), stop(other.id)]);
  }, 120_000);

  it('a host that dies takes its clusters to failed, saying how, and leaves no worker', async () => {
    const [first, second] = [await create(), await create()];
    await Promise.all([running(first.id), running(second.id)]);
    const host = file.companion.runnerPid(first.id)!;
    process.kill(host, 'SIGKILL');
    for (const id of [first.id, second.id]) {
      const failed = await file.events.waitForCluster(id, 'failed', m => m.state === 'failed');
      expect(failed.error).toBe('The runner exited unexpectedly (killed by SIGKILL).');
    }
    await waitFor('its workers to exit', () => groupMembers(host).length === 0);
  }, 120_000);
});
