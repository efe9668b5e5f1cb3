import { localTunnelCommand } from '../../src/backends/local/index.js';
import { clientSnippet } from '../../src/backends/tls.js';
import { clusterScratchDir, scratchBase } from '../../src/backends/local/scratch.js';
import type { IClusterModel } from '../../../protocol/index.js';
import { GiB, localBackend, SERVER_PYTHON } from './fixtures.js';

let others: IClusterModel[] = [];
const backend = localBackend({ localSecurityBase: '/state/security', clusters: () => others });

function localModel(id: string, memory: string, workers: number): IClusterModel {
  return {
    id,
    name: `local ${id}`,
    type: 'local',
    state: 'running',
    createdAt: '2026-01-01T00:00:00Z',
    spec: { type: 'local', options: { memory_per_worker: memory } },
    scaling: { mode: 'fixed', workers },
    workers,
    cores: workers,
    memory: 0,
    environment: { python: SERVER_PYTHON, label: 'py' },
    hasDashboard: true,
    jobs: []
  };
}

describe('local backend', () => {
  it('turns a request into a runner start command, memory in bytes', async () => {
    const result = await backend.plan(
      { type: 'local', name: 'mine', options: { workers: 2, memory_per_worker: '3.5 GiB' } },
      'abcd1234'
    );
    if (!('plan' in result)) {
      throw new Error(JSON.stringify(result.fields));
    }
    const { plan } = result;
    expect(plan.environment).toEqual({ python: SERVER_PYTHON, label: 'Python 3 (ipykernel)' });
    expect(plan.scaling).toEqual({ mode: 'fixed', workers: 2 });
    expect(plan.workDirs).toEqual(['/scratch/dask-clusters-1234/abcd1234', '/state/security/abcd1234']);
    expect(plan.spec).toMatchObject({
      type: 'local',
      name: 'mine',
      options: { workers: 2, memory_per_worker: '3.5 GiB' }
    });
    expect(plan.start).toEqual({
      op: 'start',
      cluster_id: 'abcd1234',
      cluster_class: 'distributed.LocalCluster',
      kwargs: {
        n_workers: 2,
        threads_per_worker: 2,
        processes: true,
        memory_limit: 3.5 * GiB,
        local_directory: '/scratch/dask-clusters-1234/abcd1234',
        dashboard_address: '127.0.0.1:0',
        host: '127.0.0.1',
        scheduler_port: 0,
        silence_logs: false,
        security_directory: '/state/security/abcd1234'
      },
      config: {
        'distributed.worker.memory.target': 0.75,
        'distributed.worker.memory.spill': 0.85,
        'distributed.worker.memory.pause': 0.92,
        'distributed.worker.memory.terminate': 0.98
      },
      scaling: { mode: 'fixed', workers: 2 }
    });
  });

  it("passes the worker environment variables as the nannies' env, and nothing without them", async () => {
    const result = await backend.plan(
      { type: 'local', options: { workers: 1, worker_env: 'JDC_VAR=hello\n\nOMP_NUM_THREADS = 1' } },
      'x'
    );
    if (!('plan' in result)) {
      throw new Error(JSON.stringify(result.fields));
    }
    expect(result.plan.start.kwargs.env).toEqual({ JDC_VAR: 'hello', OMP_NUM_THREADS: '1' });
    const plain = await backend.plan({ type: 'local', options: { workers: 1 } }, 'y');
    expect('plan' in plain && plain.plan.start.kwargs).not.toHaveProperty('env');
  });

  it('starts adaptive clusters at their minimum', async () => {
    const result = await backend.plan(
      { type: 'local', options: { adaptive: true, adaptive_minimum: 2, adaptive_maximum: 5 } },
      'x'
    );
    expect('plan' in result && result.plan.start.kwargs.n_workers).toBe(2);
    expect('plan' in result && result.plan.scaling).toEqual({ mode: 'adaptive', minimum: 2, maximum: 5 });
  });

  it('returns field errors instead of a plan', async () => {
    const result = await backend.plan({ type: 'local', options: { workers: 0 } }, 'x');
    expect(result).toEqual({ fields: [{ path: '/workers', message: 'Workers must be at least 1 (got 0).' }] });
  });

  it('describes itself with the memory reserve of the query', async () => {
    const type = await backend.describe({ memoryReserve: '16GiB' });
    // 32 GiB - 16 GiB, with room for twice the 4 default workers.
    expect(type.defaults.memory_per_worker).toBe('2 GiB');
    await expect(backend.describe({ memoryReserve: 'lots' })).rejects.toMatchObject({ status: 400 });
  });

  it('starts with defaults that can be scaled to twice their workers', async () => {
    const type = await backend.describe({});
    const workers = type.defaults.workers as number;
    const cluster = localModel('fresh', String(type.defaults.memory_per_worker), workers);
    expect(backend.checkScaling(cluster, { mode: 'fixed', workers: 2 * workers })).toEqual([]);
    expect(backend.checkScaling(cluster, { mode: 'fixed', workers: workers + 1 })).toEqual([]);
  });

  it('refuses to scale beyond the host memory', () => {
    const cluster = localModel('me', '8GiB', 2);
    expect(backend.checkScaling(cluster, { mode: 'fixed', workers: 4 })).toEqual([]);
    expect(backend.checkScaling(cluster, { mode: 'fixed', workers: 5 })).toEqual([
      { path: '/workers', message: expect.stringContaining('use at most 4 workers') }
    ]);
    expect(backend.checkScaling(cluster, { mode: 'adaptive', minimum: 0, maximum: 9 })[0].path).toBe('/maximum');
  });

  it("counts the user's other running local clusters when scaling, not this one", () => {
    const cluster = localModel('me', '8GiB', 2);
    others = [cluster, localModel('other', '8GiB', 2), { ...localModel('gone', '8GiB', 2), state: 'stopped' }];
    try {
      expect(backend.checkScaling(cluster, { mode: 'fixed', workers: 2 })).toEqual([]);
      expect(backend.checkScaling(cluster, { mode: 'fixed', workers: 3 })).toEqual([
        {
          path: '/workers',
          message: expect.stringContaining(
            'after your other local clusters "local other" (16 GiB); use at most 2 workers'
          )
        }
      ]);
    } finally {
      others = [];
    }
  });

  it("writes a snippet that loads the cluster's TLS credentials from its directory, no key in it", () => {
    const model = { id: 'abcd1234', schedulerAddress: 'tls://127.0.0.1:1' } as IClusterModel;
    const code = backend.snippet(model, undefined);
    expect(code).toContain('tls_ca_file="/state/security/abcd1234/ca.pem"');
    expect(code).toContain('tls_client_key="/state/security/abcd1234/key.pem"');
    expect(code).toContain('Client("tls://127.0.0.1:1", security=security)');
    expect(code).not.toContain('BEGIN');
  });

  it('connects in the clear only where a site turned TLS off', () => {
    expect(clientSnippet('tcp://127.0.0.1:40001', undefined)).toBe(
      'from dask.distributed import Client\nclient = Client("tcp://127.0.0.1:40001")\nclient'
    );
    expect(backend.snippet({ id: 'x', schedulerAddress: 'tcp://127.0.0.1:1' } as IClusterModel, undefined)).toContain(
      'Client("tcp://127.0.0.1:1")\n'
    );
  });

  it("points the Client's dashboard link through JupyterLab when there is a dashboard", () => {
    const code = clientSnippet(
      'tls://127.0.0.1:40001',
      '/state/security/abc',
      '/user/a/dask-clusters/dashboard/abc/status'
    );
    expect(code).toContain(
      'dask.config.set({"distributed.dashboard.link": "/user/a/dask-clusters/dashboard/abc/status"})'
    );
    expect(code.indexOf('dask.config.set')).toBeLessThan(code.indexOf('Client("tls://127.0.0.1:40001"'));
  });

  it('writes an ssh tunnel command for the dashboard port', () => {
    expect(localTunnelCommand('http://127.0.0.1:41234', 'alice', 'login1')).toBe(
      'ssh -N -L 8787:127.0.0.1:41234 alice@login1'
    );
    expect(backend.tunnelCommand('http://127.0.0.1:8788')).toBe('ssh -N -L 8787:127.0.0.1:8788 alice@login1');
    expect(localTunnelCommand('not a url', 'a', 'b')).toBeUndefined();
  });
});

describe('scratch space', () => {
  it('prefers job-local disks', () => {
    expect(scratchBase({ PBS_JOBFS: '/jobfs/1', SLURM_TMPDIR: '/slurm', TMPDIR: '/tmpdir' }, '/tmp')).toEqual({
      dir: '/jobfs/1',
      source: '$PBS_JOBFS'
    });
    expect(scratchBase({ SLURM_TMPDIR: '/slurm', TMPDIR: '/tmpdir' }, '/tmp').dir).toBe('/slurm');
    expect(scratchBase({ TMPDIR: '/tmpdir' }, '/tmp').dir).toBe('/tmpdir');
    expect(scratchBase({ TMPDIR: 'relative' }, '/tmp').dir).toBe('/tmp');
    expect(clusterScratchDir('/tmp', 1000, 'c1')).toBe('/tmp/dask-clusters-1000/c1');
  });
});
