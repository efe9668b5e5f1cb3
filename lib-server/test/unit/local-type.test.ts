import { profileShape, profileValues } from '../../src/backends/local/profiles.js';
import { memoryFractionDefault, workerBudget } from '../../src/backends/local/schema.js';
import { parseMemory } from '../../src/util/memory.js';
import { GiB, HOST, localBackend, NO_DASK, RESERVE, SERVER_PYTHON, TUNED, USABLE } from './fixtures.js';

describe('profiles', () => {
  it('splits CPUs by workload', () => {
    expect(profileShape('cpu', 8)).toEqual({ workers: 8, threads: 1 });
    expect(profileShape('io', 8)).toEqual({ workers: 1, threads: 8 });
    expect(profileShape('mixed', 8)).toEqual({ workers: 4, threads: 2 });
    expect(profileShape('mixed', 9)).toEqual({ workers: 3, threads: 3 });
    expect(profileShape('mixed', 7)).toEqual({ workers: 7, threads: 1 });
    expect(profileShape('mixed', 1)).toEqual({ workers: 1, threads: 1 });
  });

  it('shares the memory budget between twice the workers of each profile, leaving room to scale up', () => {
    const values = profileValues(8, 28 * GiB);
    expect(values.cpu.memory_per_worker).toBe('1.75 GiB');
    expect(values.io.memory_per_worker).toBe('14 GiB');
    expect(values.mixed.memory_per_worker).toBe('3.5 GiB');
    for (const profile of ['cpu', 'io', 'mixed'] as const) {
      const { workers, memory_per_worker } = values[profile];
      expect(parseMemory(memory_per_worker)! * workers).toBeLessThanOrEqual(28 * GiB);
    }
  });
});

/** The local type as the dialog gets it: HOST with a 4 GiB reserve. */
const type = await localBackend().describe({});

describe('the local type', () => {
  const properties = type.schema.properties as Record<
    string,
    { description?: string; default?: unknown; title?: string }
  >;

  it('is a strict draft-07 object schema with a title and description on every field', () => {
    expect(type.schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(type.schema.additionalProperties).toBe(false);
    for (const [name, property] of Object.entries(properties)) {
      expect([name, typeof property.title, typeof property.description]).toEqual([name, 'string', 'string']);
    }
  });

  it('lists every environment and disables the ones without distributed, saying why', () => {
    expect((type.schema.properties!.environment as { enum: string[] }).enum).toEqual([
      SERVER_PYTHON,
      TUNED.python,
      NO_DASK.python
    ]);
    const ui = type.uiSchema.environment as { 'ui:enumDisabled': string[]; 'ui:enumNames': string[] };
    expect(ui['ui:enumDisabled']).toEqual([NO_DASK.python]);
    expect(ui['ui:enumNames'][2]).toBe(
      'plain — distributed is not installed in this environment (pip install distributed)'
    );
    expect(ui['ui:enumNames'][0]).toContain('distributed 2026.8.0');
  });

  it('computes defaults from the host and says where they came from', () => {
    expect(type.defaults).toMatchObject({
      environment: SERVER_PYTHON,
      profile: 'mixed',
      workers: 4,
      threads_per_worker: 2,
      processes: true,
      memory_per_worker: '3.5 GiB',
      adaptive: false,
      memory_target: 0.75,
      memory_terminate: 0.98
    });
    expect(properties.workers.default).toBe(4);
    expect(properties.workers.description).toContain('Default 4: mixed profile on 8 CPUs (CPU limit of this cgroup');
    expect(properties.memory_per_worker.description).toContain('32 GiB from the memory of this machine, minus 4 GiB');
    // What the default leaves free, and for what.
    expect(properties.memory_per_worker.description).toContain(
      'divided by 8 so the cluster can grow to 8 workers; 4 workers take 14 GiB and leave 14 GiB free for scaling up, ' +
        'besides the 4 GiB kept for the system'
    );
    expect(properties.workers.description).toContain('can be scaled up to 8 workers later');
    const source = (field: string) => type.sources.find(s => s.field === field);
    expect(source('workers')).toMatchObject({ value: 4, source: expect.stringContaining('CPU limit of this cgroup') });
    expect(source('memory_target')).toEqual({ field: 'memory_target', value: 0.75, source: "dask's default" });
    expect(source('environment')?.source).toBe("the Jupyter server's environment");
  });

  it('links each profile to the fields it sets', () => {
    const link = type.linked?.find(l => l.field === 'profile');
    expect(link?.values.cpu).toEqual({
      workers: 8,
      threads_per_worker: 1,
      processes: true,
      memory_per_worker: '1.75 GiB',
      adaptive_maximum: 8
    });
    expect(link?.values.io).toMatchObject({ workers: 1, threads_per_worker: 8 });
  });

  it('is unavailable, with a reason, when no environment has distributed', async () => {
    const none = await localBackend({
      environments: () => Promise.resolve([NO_DASK]),
      serverPython: NO_DASK.python
    }).describe({});
    expect(none.available).toBe(false);
    expect(none.reason).toContain('pip install distributed');
  });

  it('prefers a usable environment when the server has no distributed', async () => {
    const other = await localBackend({
      environments: () => Promise.resolve([NO_DASK, TUNED]),
      serverPython: NO_DASK.python
    }).describe({});
    expect(other.defaults.environment).toBe(TUNED.python);
    expect(other.sources.find(s => s.field === 'memory_target')).toMatchObject({
      value: 0.6,
      source: 'your dask config (distributed.worker.memory.target)'
    });
  });
});

describe('memory defaults', () => {
  it('come from the user config of the environment, else from dask', () => {
    expect(memoryFractionDefault('memory_target', TUNED)).toEqual({
      value: 0.6,
      source: 'your dask config (distributed.worker.memory.target)'
    });
    expect(memoryFractionDefault('memory_target', USABLE).value).toBe(0.75);
    expect(memoryFractionDefault('memory_pause', TUNED).value).toBe(0.92);
  });

  it('leave the reserve to the system, but never go below half the memory', () => {
    expect(workerBudget(HOST, RESERVE)).toBe(28 * GiB);
    expect(workerBudget(HOST, { value: 40 * GiB, source: 'x' })).toBe(16 * GiB);
  });
});
