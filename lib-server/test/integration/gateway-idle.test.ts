/**
 * The idle timeout of a cluster whose scheduler is remote: a real Dask
 * Gateway cluster (scripts/gateway/gateway.sh up) with no tasks is ended by
 * the runner's watch, says so, and is gone from the gateway.
 */

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { IClusterModel } from '../../../protocol/index.js';
import { Companion, makeTestDirs, PYTHON, removeTestDirs, waitFor, type EventLog, type ITestDirs } from './harness.js';

const GATEWAY_DIR = process.env.JDC_GATEWAY_DIR ?? '/tmp/jdc-gateway';

/** The gateway's address and the user's password, as a user's environment holds them. */
function userEnv(): Record<string, string> {
  const lines = readFileSync(path.join(GATEWAY_DIR, 'env'), 'utf8').split('\n');
  const written = Object.fromEntries(lines.flatMap(line => (line.includes('=') ? [line.split(/=(.*)/s, 2)] : [])));
  return {
    DASK_GATEWAY__ADDRESS: written.DASK_GATEWAY__ADDRESS,
    DASK_GATEWAY__PROXY_ADDRESS: written.DASK_GATEWAY__PROXY_ADDRESS,
    DASK_GATEWAY__AUTH__TYPE: 'basic',
    DASK_GATEWAY__AUTH__KWARGS__PASSWORD: readFileSync(written.JDC_GATEWAY_PASSWORD_FILE, 'utf8').trim()
  };
}

const env = userEnv();
let dirs: ITestDirs;
let companion: Companion;
let events: EventLog;
const saved = Object.fromEntries(Object.keys(env).map(key => [key, process.env[key]]));

beforeAll(async () => {
  Object.assign(process.env, env);
  dirs = makeTestDirs('gateway-idle');
  companion = await Companion.start(dirs);
  events = await companion.events();
  await events.snapshot();
}, 60_000);

afterAll(async () => {
  events?.close();
  await companion?.stop();
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) {
      delete process.env[key];
    } else {
      process.env[key] = value;
    }
  }
  removeTestDirs(dirs);
}, 90_000);

/** Names of the user's live gateway clusters. */
function liveOnGateway(): string[] {
  const code =
    'import json\nfrom dask_gateway import Gateway\nprint(json.dumps([c.name for c in Gateway().list_clusters()]))';
  return JSON.parse(
    execFileSync(PYTHON, ['-c', code], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 })
  ) as string[];
}

it('ends a gateway cluster without tasks after its idle timeout, stopped with the reason, gone from the gateway', async () => {
  const answer = await companion.request('POST', '/api/clusters', {
    type: 'gateway',
    options: { worker_cores: 1, worker_memory: 1, workers: 1, idle_timeout: 0.2 }
  });
  expect(answer.status).toBe(201);
  const { id } = answer.json as IClusterModel;
  const running = await events.waitForCluster(id, 'running', m => m.state === 'running', 90_000);
  const name = /\/([^/]+)$/.exec(running.schedulerAddress ?? '')?.[1] ?? '';
  expect(liveOnGateway()).toContain(name);
  const since = Date.now();
  const end = await events.waitForCluster(id, 'ended', m => ['stopped', 'failed'].includes(m.state), 90_000);
  const seconds = (Date.now() - since) / 1000;
  expect(end).toMatchObject({ state: 'stopped', endReason: 'Stopped after 0.2 minutes without tasks.' });
  // 12 s without tasks, asked every 5 s.
  expect(seconds).toBeGreaterThan(10);
  await waitFor('the cluster gone from the gateway', () => !liveOnGateway().includes(name), 30_000);
  process.stdout.write(`gateway idle timeout of 12 s: stopped ${seconds.toFixed(1)} s after running\n`);
}, 200_000);
