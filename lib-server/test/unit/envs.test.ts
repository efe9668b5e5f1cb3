import { EnvironmentDiscovery } from '../../src/envs/discovery.js';
import { candidatesFromKernelspecs, isBarePython } from '../../src/envs/kernelspecs.js';
import { parseProbe, ProbeCache, toEnvironment } from '../../src/envs/probe.js';

const SERVER = '/opt/jupyter/bin/python';

const SPECS = {
  python3: {
    resource_dir: '/x',
    spec: {
      argv: ['python', '-m', 'ipykernel_launcher', '-f', '{connection_file}'],
      display_name: 'Python 3 (ipykernel)',
      language: 'python'
    }
  },
  geo: {
    resource_dir: '/y',
    spec: { argv: ['/envs/geo/bin/python', '-m', 'ipykernel_launcher'], display_name: 'Geo', language: 'python' }
  },
  geo3: {
    resource_dir: '/y3',
    spec: { argv: ['/envs/geo/bin/python3', '-m', 'ipykernel_launcher'], display_name: 'Geo (3)', language: 'Python' }
  },
  ir: { resource_dir: '/z', spec: { argv: ['R', '--slave'], display_name: 'R', language: 'R' } },
  onpath: {
    resource_dir: '/w',
    spec: { argv: ['mypython', '-m', 'ipykernel_launcher'], display_name: 'On PATH', language: 'python' }
  },
  lost: { resource_dir: '/v', spec: { argv: ['missing-python'], display_name: 'Lost', language: 'python' } },
  broken: { resource_dir: '/u', spec: 'not a spec' }
};

describe('candidatesFromKernelspecs', () => {
  const which = (command: string) => (command === 'mypython' ? '/usr/local/bin/mypython' : undefined);
  const sameEnv = (python: string) => python.replace(/python3$/, 'python');

  it('keeps Python kernels and resolves their interpreters', () => {
    const candidates = candidatesFromKernelspecs(SPECS, SERVER, which, sameEnv);
    expect(candidates).toEqual([
      { python: SERVER, kernelspecs: ['python3'], label: 'Python 3 (ipykernel)' },
      { python: '/envs/geo/bin/python', kernelspecs: ['geo', 'geo3'], label: 'Geo, Geo (3)' },
      { python: '/usr/local/bin/mypython', kernelspecs: ['onpath'], label: 'On PATH' }
    ]);
  });

  it("always offers the server's interpreter", () => {
    expect(candidatesFromKernelspecs({}, SERVER, which)).toEqual([
      { python: SERVER, kernelspecs: [], label: `Jupyter server environment (${SERVER})` }
    ]);
    expect(candidatesFromKernelspecs('garbage', SERVER, which)).toHaveLength(1);
  });

  it('treats python, python3 and python3.X as the server interpreter', () => {
    expect(['python', 'python3', 'python3.12'].every(isBarePython)).toBe(true);
    expect(['python2', '/usr/bin/python3', 'ipython'].some(isBarePython)).toBe(false);
  });
});

describe('probes', () => {
  const candidate = { python: '/envs/geo/bin/python', label: 'Geo', kernelspecs: ['geo'] };
  const output = {
    python: '/envs/geo/bin/python',
    python_version: '3.12.1',
    packages: { distributed: '2026.8.0', dask: '2026.8.0', dask_jobqueue: null, dask_gateway: '2025.4.0' },
    config: { 'distributed.worker.memory.target': 0.6 },
    site_paths: ['/envs/geo/lib/python3.12/site-packages']
  };

  it('reads what runner.py probe prints', () => {
    expect(parseProbe(output)).toEqual({
      pythonVersion: '3.12.1',
      packages: { distributed: '2026.8.0', dask: '2026.8.0', dask_jobqueue: undefined, dask_gateway: '2025.4.0' },
      config: { 'distributed.worker.memory.target': 0.6 },
      sitePaths: ['/envs/geo/lib/python3.12/site-packages']
    });
    expect(() => parseProbe('nope')).toThrow('JSON object');
  });

  it('marks an environment without distributed unusable, saying how to fix it', () => {
    const environment = toEnvironment(candidate, parseProbe({ ...output, packages: { distributed: null } }));
    expect(environment).toMatchObject({
      usable: false,
      reason: 'distributed is not installed in this environment (pip install distributed)',
      pythonVersion: '3.12.1'
    });
    expect(toEnvironment(candidate, parseProbe(output))).toMatchObject({
      usable: true,
      distributed: '2026.8.0',
      dask: '2026.8.0'
    });
    expect(toEnvironment(candidate, new Error('timed out after 30 s'))).toMatchObject({
      usable: false,
      reason: 'this interpreter could not be probed: timed out after 30 s'
    });
  });

  it('probes once per interpreter until it or its site-packages change', async () => {
    const mtimes: Record<string, number> = { '/envs/geo/bin/python': 1, '/envs/geo/lib/python3.12/site-packages': 1 };
    let calls = 0;
    const cache = new ProbeCache({
      runnerPath: '/runner.py',
      timeoutMs: 1000,
      mtime: file => mtimes[file],
      run: (file, args) => {
        calls += 1;
        expect([file, ...args]).toEqual(['/envs/geo/bin/python', '/runner.py', 'probe']);
        return Promise.resolve(output);
      }
    });
    const [first, second] = await Promise.all([cache.probe(candidate.python), cache.probe(candidate.python)]);
    expect(first).toBe(second);
    expect(calls).toBe(1);
    await cache.probe(candidate.python);
    expect(calls).toBe(1);
    mtimes['/envs/geo/lib/python3.12/site-packages'] = 2; // pip install
    await cache.probe(candidate.python);
    expect(calls).toBe(2);
    await cache.probe(candidate.python);
    expect(calls).toBe(2);
  });

  it('does not keep a failed probe', async () => {
    let calls = 0;
    const cache = new ProbeCache({
      runnerPath: '/runner.py',
      timeoutMs: 1000,
      mtime: () => 1,
      run: () => {
        calls += 1;
        return calls === 1 ? Promise.reject(new Error('no such file')) : Promise.resolve(output);
      }
    });
    await expect(cache.probe('/p')).rejects.toThrow('no such file');
    await expect(cache.probe('/p')).resolves.toMatchObject({ pythonVersion: '3.12.1' });
  });
});

describe('EnvironmentDiscovery', () => {
  it('lets a launch of a listed environment skip listing the kernelspecs again', async () => {
    const listings: string[][] = [];
    const specs = { geo: SPECS.geo };
    const discovery = new EnvironmentDiscovery({
      serverPython: SERVER,
      runnerPath: '/runner.py',
      kernelspecTtlMs: -1, // every listing is stale at once, even within its millisecond
      run: (python, args) => {
        if (args[1] === 'kernelspecs') {
          listings.push(Object.keys(specs));
          return Promise.resolve(specs);
        }
        return Promise.resolve({ python, python_version: '3.12.1', packages: { distributed: '2026.8.0' } });
      }
    });
    const pythons = (envs: { python: string }[]): string[] => envs.map(env => env.python).sort();

    expect(pythons(await discovery.list())).toEqual(['/envs/geo/bin/python', SERVER]);
    expect(listings).toHaveLength(1);
    // The dialog showed geo: creating a cluster in it uses that listing.
    expect(pythons(await discovery.list('/envs/geo/bin/python'))).toContain('/envs/geo/bin/python');
    expect(listings).toHaveLength(1);
    // A kernel registered since then: the listing is read again and has it.
    Object.assign(specs, { fresh: { spec: { argv: ['/envs/fresh/bin/python'], language: 'python' } } });
    expect(pythons(await discovery.list('/envs/fresh/bin/python'))).toContain('/envs/fresh/bin/python');
    expect(listings).toHaveLength(2);
    // Without an environment asked for, a stale listing is read again.
    await discovery.list();
    expect(listings).toHaveLength(3);
  });
});
