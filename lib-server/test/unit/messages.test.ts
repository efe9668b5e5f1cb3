import { parseScaling } from '../../src/clusters/scaling.js';
import { resolveConfig, UsageError } from '../../src/config.js';
import { parseDashboardPath, plotsFromIndex, rewriteLocation, workerMetrics } from '../../src/proxy/dashboard.js';
import { parseRunnerEvent, scalingCommand } from '../../src/runner/protocol.js';

describe('parseScaling', () => {
  it('accepts fixed and adaptive scaling', () => {
    expect(parseScaling({ mode: 'fixed', workers: 0 })).toEqual({ scaling: { mode: 'fixed', workers: 0 } });
    expect(parseScaling({ mode: 'adaptive', minimum: 1, maximum: 4 })).toEqual({
      scaling: { mode: 'adaptive', minimum: 1, maximum: 4 }
    });
  });

  it('explains every problem', () => {
    expect(parseScaling({ mode: 'fixed', workers: -1 })).toEqual({
      fields: [{ path: '/workers', message: 'Workers must be a whole number of at least 0 (got -1).' }]
    });
    expect(parseScaling({ mode: 'adaptive', minimum: 3, maximum: 2 })).toEqual({
      fields: [
        {
          path: '/minimum',
          message: 'Minimum workers (3) is more than Maximum workers (2); lower the minimum or raise the maximum.'
        }
      ]
    });
    expect(parseScaling({ mode: 'elastic' })).toEqual({
      fields: [{ path: '/mode', message: 'Mode must be "fixed" or "adaptive" (got "elastic").' }]
    });
    const extra = parseScaling({ mode: 'fixed', workers: 2, minimum: 1 });
    expect(extra).toEqual({
      fields: [
        {
          path: '/minimum',
          message: 'Unknown field "minimum"; remove it or fix its spelling (accepted: mode, workers).'
        }
      ]
    });
    expect(parseScaling('3')).toMatchObject({ fields: [{ path: '' }] });
  });
});

describe('runner protocol', () => {
  it('parses the events runner.py writes', () => {
    expect(
      parseRunnerEvent('{"event": "started", "scheduler_address": "tcp://127.0.0.1:1", "dashboard_address": null}')
    ).toEqual({
      event: 'started',
      scheduler_address: 'tcp://127.0.0.1:1',
      dashboard_address: null
    });
    expect(parseRunnerEvent('{"event":"workers","workers":2,"cores":4,"memory":1024}')).toEqual({
      event: 'workers',
      workers: 2,
      cores: 4,
      memory: 1024
    });
    expect(parseRunnerEvent('{"event":"error","message":"bad"}')).toEqual({
      event: 'error',
      message: 'bad',
      traceback: ''
    });
    expect(parseRunnerEvent('{"event":"closed"}')).toEqual({ event: 'closed' });
  });

  it('flags lines that are not events', () => {
    expect(parseRunnerEvent('hello')).toEqual({ invalid: 'not JSON: hello' });
    expect(parseRunnerEvent('[1]')).toEqual({ invalid: 'not an object: [1]' });
    expect(parseRunnerEvent('{"event":"workers","workers":-1,"cores":0,"memory":0}')).toHaveProperty('invalid');
    expect(parseRunnerEvent('{"event":"started"}')).toHaveProperty('invalid');
  });

  it('maps scaling to runner commands', () => {
    expect(scalingCommand({ mode: 'fixed', workers: 3 })).toEqual({ op: 'scale', workers: 3 });
    expect(scalingCommand({ mode: 'adaptive', minimum: 1, maximum: 2 })).toEqual({
      op: 'adapt',
      minimum: 1,
      maximum: 2
    });
  });
});

describe('resolveConfig', () => {
  it('reads the command line and the environment', () => {
    expect(
      resolveConfig(
        ['--socket', '/run/x.sock', '--base-url', 'user/alice'],
        { JUPYTERLAB_DASK_CLUSTERS_PYTHON: '/env/bin/python' },
        '/home/alice',
        '/site/pkg/companion'
      )
    ).toEqual({
      socket: '/run/x.sock',
      baseUrl: '/user/alice/',
      serverPython: '/env/bin/python',
      stateDir: '/home/alice/.local/state/jupyterlab-dask-clusters',
      runnerPath: '/site/pkg/runner.py',
      localTls: true
    });
    expect(resolveConfig(['--socket', '/s'], { JUPYTERLAB_DASK_CLUSTERS_LOCAL_TLS: 'off' }, '/h', '/b').localTls).toBe(
      false
    );
    const custom = resolveConfig(
      ['--socket', '/s'],
      {
        XDG_STATE_HOME: '/xdg',
        JUPYTERLAB_DASK_CLUSTERS_RUNNER: '/r/runner.py',
        JUPYTERLAB_DASK_CLUSTERS_MEMORY_RESERVE: '2GiB'
      },
      '/home/a',
      '/b'
    );
    expect(custom).toMatchObject({
      stateDir: '/xdg/jupyterlab-dask-clusters',
      runnerPath: '/r/runner.py',
      memoryReserve: '2GiB',
      baseUrl: '/'
    });
    expect(
      resolveConfig(['--socket', '/s'], { JUPYTERLAB_DASK_CLUSTERS_STATE_DIR: '/state' }, '/h', '/b').stateDir
    ).toBe('/state');
  });

  it('refuses a command line without a socket, or with a TCP port', () => {
    expect(() => resolveConfig([], {}, '/h', '/b')).toThrow(UsageError);
    expect(() => resolveConfig(['--socket', '/s', '--port', '8888'], {}, '/h', '/b')).toThrow(
      /Unknown option '--port'/
    );
  });
});

describe('dashboard paths', () => {
  it('splits the cluster id from the path below the dashboard', () => {
    expect(parseDashboardPath('/dashboard/c1/individual-task-stream?x=1')).toEqual({
      id: 'c1',
      rest: '/individual-task-stream?x=1'
    });
    expect(parseDashboardPath('/dashboard/c1')).toEqual({ id: 'c1', rest: '/' });
    expect(parseDashboardPath('/api/clusters')).toBeUndefined();
  });

  it('makes redirects of the dashboard relative, so they stay below its proxied path', () => {
    expect(rewriteLocation('/status', '/')).toBe('./status');
    expect(rewriteLocation('/status', '/info?x=/a/b')).toBe('./status');
    expect(rewriteLocation('/', '/info/main/')).toBe('../../');
    expect(rewriteLocation('/status', '/info/main/workers.html')).toBe('../../status');
    expect(rewriteLocation('info/main/workers.html', '/info')).toBe('info/main/workers.html');
    expect(rewriteLocation('//evil.example/x', '/')).toBe('//evil.example/x');
    expect(rewriteLocation('https://dask.org/', '/')).toBe('https://dask.org/');
  });

  it('lists plots relative to the dashboard root, the common ones first and marked, without "Individual"', () => {
    expect(
      plotsFromIndex({
        'Individual Cluster Map': '/statics/individual-cluster-map.html',
        'Individual Bandwidth Types': '/individual-bandwidth-types',
        'Individual Graph': '/individual-graph',
        'Individual Workers Memory': '/individual-workers-memory',
        'Individual Progress': '/individual-progress',
        'Individual Cpu': '/individual-cpu',
        'Individual Task Stream': '/individual-task-stream',
        bad: 3
      })
    ).toEqual([
      { title: 'Task Stream', path: 'individual-task-stream', common: true },
      { title: 'Progress', path: 'individual-progress', common: true },
      { title: 'Workers Memory', path: 'individual-workers-memory', common: true },
      { title: 'Task Graph', path: 'individual-graph', common: true },
      { title: 'Bandwidth Types', path: 'individual-bandwidth-types' },
      { title: 'Cluster Map', path: 'statics/individual-cluster-map.html' },
      { title: 'CPU', path: 'individual-cpu' }
    ]);
    expect(plotsFromIndex(null)).toEqual([]);
  });

  it('leaves out the plots of hardware no worker reports', () => {
    const index = {
      'Individual Gpu Memory': '/individual-gpu-memory',
      'Individual Gpu Utilization': '/individual-gpu-utilization',
      'Individual Rmm Memory': '/individual-rmm-memory',
      'Individual Progress': '/individual-progress'
    };
    const cpuOnly = workerMetrics({
      workers: { 'tls://127.0.0.1:1': { metrics: { cpu: 3, memory: 1 } } }
    });
    expect(plotsFromIndex(index, cpuOnly).map(p => p.title)).toEqual(['Progress']);
    const gpu = workerMetrics({
      workers: { a: { metrics: { cpu: 3 } }, b: { metrics: { gpu: { utilization: 1 } } } }
    });
    expect(plotsFromIndex(index, gpu).map(p => p.title)).toEqual(['Progress', 'GPU Memory', 'GPU Utilization']);
    // No workers, or no identity at all: nothing says there is a GPU.
    expect(plotsFromIndex(index, workerMetrics(undefined)).map(p => p.title)).toEqual(['Progress']);
    expect(workerMetrics({ workers: {} }).size).toBe(0);
  });
});
