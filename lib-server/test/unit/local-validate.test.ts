import type { IFieldError } from '../../../protocol/index.js';
import { ENVIRONMENTS, localBackend, NO_DASK, planLocal, runningLocal, TUNED } from './fixtures.js';

const existing = new Set(ENVIRONMENTS.map(env => env.python));
const exists = (path: string) => existing.has(path);

/** HOST with a 4 GiB reserve (28 GiB for workers), no TLS, no other clusters. */
const backend = localBackend({ exists });
const type = await backend.describe({});

async function problems(options: unknown): Promise<IFieldError[]> {
  const result = await planLocal(backend, options);
  if (!('fields' in result)) {
    throw new Error(`expected problems, got ${JSON.stringify(result.options)}`);
  }
  return result.fields;
}

async function resolved(options: unknown) {
  const result = await planLocal(backend, options);
  if ('fields' in result) {
    throw new Error(`expected valid options, got ${JSON.stringify(result.fields)}`);
  }
  return result.options;
}

describe('TLS', () => {
  it('refuses an environment without cryptography, saying how to install it', async () => {
    const without = ENVIRONMENTS.map(env =>
      env.probe
        ? { ...env, probe: { ...env.probe, packages: { ...env.probe.packages, cryptography: undefined } } }
        : env
    );
    const tls = { exists, localSecurityBase: '/state/security' };
    const result = await planLocal(localBackend({ ...tls, environments: () => Promise.resolve(without) }), {
      workers: 1
    });
    expect('fields' in result && result.fields).toEqual([
      {
        path: '/environment',
        message: expect.stringMatching(
          /lacks the cryptography package, .* -m pip install cryptography\); choose another environment\.$/
        )
      }
    ]);
    expect('options' in (await planLocal(localBackend(tls), { workers: 1 }))).toBe(true);
  });
});

describe('sane limits', () => {
  it('refuses workers too small to run, naming the minimum', async () => {
    expect(await problems({ workers: 2, memory_per_worker: '1 MiB' })).toEqual([
      {
        path: '/memory_per_worker',
        message: expect.stringMatching(/^Memory per worker must be at least 256 MiB \(you typed 1 MiB\)/)
      }
    ]);
    // In the units the user typed, rounded up so the minimum shown is allowed.
    expect((await problems({ workers: 2, memory_per_worker: '0.1 GB' }))[0].message).toMatch(
      /^Memory per worker must be at least 0\.27 GB /
    );
  });

  it('refuses more threads per worker than the host gives, with the source', async () => {
    expect(await problems({ workers: 1, threads_per_worker: 1e9 })).toEqual([
      {
        path: '/threads_per_worker',
        message: expect.stringMatching(
          /^Threads per worker \(1000000000\) is more than the 8 CPUs this host gives you \(.+\); use at most 8\.$/
        )
      }
    ]);
  });

  it("counts the memory of the user's running local clusters, naming them", async () => {
    const busy = localBackend({
      exists,
      clusters: () => [runningLocal('local 1', '20GiB'), runningLocal('big', '8GiB')]
    });
    const result = await planLocal(busy, { workers: 2, memory_per_worker: '4 GiB' });
    expect('fields' in result && result.fields).toEqual([
      {
        path: '/memory_per_worker',
        message: expect.stringContaining("leave 4 GiB of this host's 32 GiB (")
      }
    ]);
    const [problem] = (result as { fields: IFieldError[] }).fields;
    expect(problem.message).toContain('your running local clusters "local 1" (20 GiB), "big" (8 GiB) leave');
    expect(problem.message).toMatch(/^Memory per worker must be at most 2 GiB for 2 workers: /);
    expect('options' in (await planLocal(busy, { workers: 2, memory_per_worker: '1 GiB' }))).toBe(true);
  });
});

describe('resolveLocalOptions', () => {
  it('fills every default into an empty request', async () => {
    const options = await resolved({});
    expect(options).toEqual(type.defaults);
    // Without a site default, a lifetime and an idle timeout are none: empty fields (keep_running is false).
    const defaulted = Object.keys(type.schema.properties!).filter(
      name => name !== 'lifetime' && name !== 'idle_timeout'
    );
    expect(Object.keys(options).sort()).toEqual(defaulted.sort());
  });

  it('takes what the profile sets, and the request over both', async () => {
    expect(await resolved({ profile: 'cpu' })).toMatchObject({
      workers: 8,
      threads_per_worker: 1,
      memory_per_worker: '1.75 GiB'
    });
    expect(await resolved({ profile: 'io', threads_per_worker: 3 })).toMatchObject({
      workers: 1,
      threads_per_worker: 3
    });
  });

  it('sizes the memory default for the workers asked for', async () => {
    // Room for twice the workers asked for: 28 GiB / 14.
    expect((await resolved({ workers: 7 })).memory_per_worker).toBe('2 GiB');
    expect((await resolved({ adaptive: true, adaptive_maximum: 14 })).memory_per_worker).toBe('1 GiB');
  });

  it("takes memory thresholds from the chosen environment's dask config", async () => {
    expect((await resolved({ environment: TUNED.python })).memory_target).toBe(0.6);
    expect((await resolved({ environment: TUNED.python, memory_target: 0.5 })).memory_target).toBe(0.5);
  });

  it('rejects what is not an object', async () => {
    expect(await problems([1, 2])).toEqual([{ path: '', message: expect.stringContaining('JSON object') }]);
  });

  it('names unknown fields', async () => {
    expect(await problems({ wokers: 3 })).toEqual([
      {
        path: '/wokers',
        message: expect.stringMatching(
          /^Unknown field "wokers"; remove it or fix its spelling \(accepted: environment, profile, workers/
        )
      }
    ]);
  });

  it.each([
    [0, 'Workers must be at least 1 (got 0).'],
    [-2, 'Workers must be at least 1 (got -2).'],
    [1.5, 'Workers must be an integer (got 1.5).'],
    ['3', 'Workers must be an integer (got "3").']
  ])('rejects %j workers', async (workers, message) => {
    expect(await problems({ workers, memory_per_worker: '1GiB' })).toEqual([{ path: '/workers', message }]);
  });

  it('explains a memory size it cannot read', async () => {
    expect(await problems({ memory_per_worker: '16XB' })).toEqual([
      {
        path: '/memory_per_worker',
        message:
          'Memory per worker "16XB" is not a memory size; write a number and a unit, e.g. 4 GiB, 3.5GB or 512MiB.'
      }
    ]);
  });

  it('refuses more memory than the host has, and says what fits', async () => {
    const [problem] = await problems({ workers: 4, memory_per_worker: '10GiB' });
    expect(problem.path).toBe('/memory_per_worker');
    expect(problem.message).toBe(
      'Memory per worker must be at most 8 GiB for 4 workers: 4 x 10 GiB = 40 GiB is more than the 32 GiB ' +
        'this host has (memory of this machine). Up to 7 GiB each also leaves the system its reserve; or use fewer workers.'
    );
  });

  it('counts the adaptive maximum against the host memory', async () => {
    const [problem] = await problems({ adaptive: true, adaptive_maximum: 20, memory_per_worker: '2GiB' });
    expect(problem.message).toMatch(
      /^Memory per worker must be at most 1\.59 GiB for a maximum of 20 workers: 20 x 2 GiB = 40 GiB is more than/
    );
    // The same sizes are fine without adaptive scaling.
    expect((await resolved({ adaptive_maximum: 20, memory_per_worker: '2GiB' })).adaptive).toBe(false);
  });

  it('refuses a missing interpreter', async () => {
    expect(await problems({ environment: '/nowhere/bin/python' })).toEqual([
      {
        path: '/environment',
        message: 'Interpreter /nowhere/bin/python does not exist; choose one of the listed environments.'
      }
    ]);
  });

  it('refuses an environment without distributed, saying how to fix it', async () => {
    expect(await problems({ environment: NO_DASK.python })).toEqual([
      {
        path: '/environment',
        message:
          'plain: distributed is not installed in this environment (pip install distributed); choose another environment.'
      }
    ]);
  });

  it('refuses an adaptive minimum above the maximum', async () => {
    expect(await problems({ adaptive: true, adaptive_minimum: 5, adaptive_maximum: 2 })).toEqual([
      {
        path: '/adaptive_minimum',
        message: 'Minimum workers (5) is more than Maximum workers (2); lower the minimum or raise the maximum.'
      }
    ]);
  });

  it('refuses worker environment variables for workers that are threads, saying what to turn on', async () => {
    expect(await problems({ processes: false, worker_env: 'JDC_VAR=hello' })).toEqual([
      {
        path: '/worker_env',
        message: expect.stringMatching(/Turn on Separate processes, or clear them\.$/)
      }
    ]);
    expect((await resolved({ processes: false, worker_env: '# none\n' })).processes).toBe(false);
    expect(await problems({ worker_env: 'not a variable' })).toEqual([
      { path: '/worker_env', message: expect.stringMatching(/^Line 1 of Worker environment variables/) }
    ]);
  });

  it('has the worker environment variables in its Advanced group', async () => {
    const groups = type.uiSchema['ui:groups'] as { title: string; fields: string[] }[];
    expect(groups.find(group => group.title === 'Advanced')?.fields).toContain('worker_env');
  });

  it('reports every problem at once', async () => {
    const fields = await problems({ workers: 0, threads_per_worker: 0, memory_target: 1.5, extra: true });
    expect(fields.map(f => f.path).sort()).toEqual(['/extra', '/memory_target', '/threads_per_worker', '/workers']);
    expect(fields.find(f => f.path === '/memory_target')?.message).toBe('Memory target must be at most 1 (got 1.5).');
  });
});
