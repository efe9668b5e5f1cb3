/** Shared fakes for the local backend tests. */

import type { IClusterModel, ICreateRequest, IFieldError } from '../../../protocol/index.js';
import type { IBackend } from '../../src/backends/backend.js';
import { createLocalBackend, type ILocalBackendOptions } from '../../src/backends/local/index.js';
import type { IHostResources } from '../../src/backends/local/resources.js';
import type { IEnvironmentInfo } from '../../src/envs/probe.js';
import { NO_DISTRIBUTED } from '../../src/envs/probe.js';

export const GiB = 2 ** 30;

export const SERVER_PYTHON = '/opt/jupyter/bin/python';

export const USABLE: IEnvironmentInfo = {
  python: SERVER_PYTHON,
  label: 'Python 3 (ipykernel)',
  kernelspecs: ['python3'],
  pythonVersion: '3.11.7',
  distributed: '2026.8.0',
  dask: '2026.8.0',
  usable: true,
  probe: {
    pythonVersion: '3.11.7',
    packages: { distributed: '2026.8.0', dask: '2026.8.0', cryptography: '46.0.0' },
    config: {},
    sitePaths: []
  }
};

export const TUNED: IEnvironmentInfo = {
  ...USABLE,
  python: '/envs/tuned/bin/python',
  label: 'tuned',
  kernelspecs: ['tuned'],
  probe: { ...USABLE.probe!, config: { 'distributed.worker.memory.target': 0.6 } }
};

export const NO_DASK: IEnvironmentInfo = {
  python: '/envs/plain/bin/python',
  label: 'plain',
  kernelspecs: ['plain'],
  pythonVersion: '3.12.1',
  usable: false,
  reason: NO_DISTRIBUTED,
  probe: { pythonVersion: '3.12.1', packages: {}, config: {}, sitePaths: [] }
};

export const ENVIRONMENTS = [USABLE, TUNED, NO_DASK];

/** 8 CPUs from a cgroup, 32 GiB from the machine. */
export const HOST: IHostResources = {
  cpus: { value: 8, source: 'CPU limit of this cgroup (/sys/fs/cgroup/cpu.max)' },
  memory: { value: 32 * GiB, source: 'memory of this machine' }
};

/** 4 GiB kept for the system: 28 GiB for workers. */
export const RESERVE = { value: 4 * GiB, source: '4GiB kept for the system' };

/** A local backend on HOST with a 4 GiB reserve, no TLS and no other clusters, but for `overrides`. */
export function localBackend(overrides: Partial<ILocalBackendOptions> = {}): IBackend {
  return createLocalBackend({
    environments: () => Promise.resolve(ENVIRONMENTS),
    serverPython: SERVER_PYTHON,
    host: () => HOST,
    memoryReserve: '4GiB',
    scratchBase: () => '/scratch',
    uid: 1234,
    exists: () => true,
    user: 'alice',
    hostname: 'login1',
    localSecurityBase: undefined,
    clusters: () => [],
    ...overrides
  });
}

/** The options a local backend plans for `options`, or every problem it finds. */
export async function planLocal(
  backend: IBackend,
  options: unknown
): Promise<{ options: Record<string, unknown> } | { fields: IFieldError[] }> {
  const result = await backend.plan({ type: 'local', options } as ICreateRequest, 'c0ffee00');
  return 'plan' in result ? { options: result.plan.spec.options } : result;
}

/** A running local cluster of one worker that holds `memory`. */
export function runningLocal(name: string, memory: string): IClusterModel {
  return {
    id: name.replace(/\W/g, ''),
    name,
    type: 'local',
    state: 'running',
    createdAt: '2026-01-01T00:00:00Z',
    spec: { type: 'local', options: { memory_per_worker: memory } },
    scaling: { mode: 'fixed', workers: 1 },
    workers: 1,
    cores: 1,
    memory: 0,
    environment: { python: SERVER_PYTHON, label: 'py' },
    hasDashboard: true,
    jobs: []
  };
}

/** Resolves once `check` holds, polling; fails naming `what` after `ms`. */
export async function waitUntil(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise(resolve => setTimeout(resolve, 10));
  }
}
