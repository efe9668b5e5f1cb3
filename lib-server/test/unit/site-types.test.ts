/**
 * Site-defined types from their dask config entries: the form they get, what
 * they refuse, the start command they render, and broken entries reported
 * with the reason. (The integration test starts one for real.)
 */

import { definedBackend } from '../../src/backends/defined.js';
import { siteDefinition } from '../../src/backends/site.js';
import type { IStartCommand } from '../../src/runner/protocol.js';
import type { IClusterModel } from '../../../protocol/index.js';
import { ENVIRONMENTS, SERVER_PYTHON } from './fixtures.js';

const BUILT_IN = new Set(['local', 'slurm', 'gateway']);

/** The facility entry of jupyterlab_dask_clusters/tests/site/site-types.yaml. */
const FACILITY = {
  title: 'Facility node',
  class: 'site_clusters.FacilityCluster',
  options: {
    partition: { type: 'string', title: 'Partition', enum: ['interactive', 'batch'], default: 'interactive' },
    threads: { type: 'integer', title: 'Threads per worker', minimum: 1, maximum: 2, default: 1 }
  },
  kwargs: {
    n_workers: '{workers}',
    partition: '{partition}',
    threads_per_worker: '{threads}',
    env: '{worker_env}',
    silence_logs: false
  },
  workers: 1,
  adaptive_maximum: 2
};

/** The UNICORE entry of the same file. */
const UNICORE = {
  title: 'UNICORE (HPC site)',
  class: 'pyunicore.dask.UNICORECluster',
  tls: false,
  options: {
    site_url: { type: 'string', title: 'UNICORE site', default: 'https://unicore.example.org:8080/SITE/rest/core' },
    queue: { type: 'string', title: 'Queue', default: 'batch' },
    project: { type: 'string', title: 'Project', default: '' },
    threads: { type: 'integer', title: 'Threads per worker', minimum: 1, default: 4 }
  },
  kwargs: {
    submitter: {
      cls: 'pyunicore.client.Client',
      kwargs: {
        site_url: '{site_url}',
        credential: { cls: 'pyunicore.credentials.create_credential', environ: { token: 'UNICORE_ACCESS_TOKEN' } }
      }
    },
    n_workers: '{workers}',
    queue: '{queue}',
    project: '{project}',
    threads: '{threads}'
  }
};

const backendOf = (id: string, entry: unknown, modules: Record<string, string | null> = {}) =>
  definedBackend(siteDefinition(id, entry, modules, BUILT_IN), {
    environments: () => Promise.resolve(ENVIRONMENTS),
    serverPython: SERVER_PYTHON,
    securityBase: '/state/security'
  });

async function startOf(id: string, entry: unknown, options: Record<string, unknown>): Promise<IStartCommand> {
  const result = await backendOf(id, entry).plan({ type: id, options }, 'c0ffee00');
  if ('fields' in result) {
    throw new Error(`refused: ${JSON.stringify(result.fields)}`);
  }
  return result.plan.start;
}

describe('a site type from a LocalCluster subclass', () => {
  it('gets the shared fields around its own, with the site as the source of its defaults', async () => {
    const type = await backendOf('facility', FACILITY).describe({});
    expect(type).toMatchObject({ id: 'facility', title: 'Facility node', available: true });
    expect(Object.keys(type.schema.properties ?? {})).toEqual([
      'environment',
      'partition',
      'threads',
      'workers',
      'adaptive',
      'adaptive_minimum',
      'adaptive_maximum',
      'worker_env',
      'lifetime',
      'idle_timeout',
      'keep_running'
    ]);
    expect(type.defaults).toMatchObject({
      environment: SERVER_PYTHON,
      partition: 'interactive',
      threads: 1,
      workers: 1,
      adaptive_maximum: 2
    });
    expect(type.sources).toContainEqual({
      field: 'partition',
      value: 'interactive',
      source: "your site's dask config (jupyterlab-dask-clusters.types.facility)"
    });
  });

  it('renders its class and arguments from the options, with TLS and the workers’ variables', async () => {
    const start = await startOf('facility', FACILITY, {
      partition: 'batch',
      threads: 2,
      workers: 2,
      worker_env: 'OMP_NUM_THREADS=1\nSITE=x y'
    });
    expect(start).toEqual({
      op: 'start',
      cluster_id: 'c0ffee00',
      cluster_class: 'site_clusters.FacilityCluster',
      kwargs: {
        n_workers: 2,
        partition: 'batch',
        threads_per_worker: 2,
        env: { OMP_NUM_THREADS: '1', SITE: 'x y' },
        silence_logs: false,
        security_directory: '/state/security/c0ffee00'
      },
      config: {},
      scaling: { mode: 'fixed', workers: 2 }
    });
  });

  it('refuses bad values field by field, unknown fields included, and launches nothing', async () => {
    const result = await backendOf('facility', FACILITY).plan(
      {
        type: 'facility',
        options: {
          threads: 3,
          partition: 'gpu',
          cluster_class: 'os.system',
          worker_env: '1X=2',
          adaptive: true,
          adaptive_minimum: 3,
          adaptive_maximum: 2
        }
      },
      'c0ffee00'
    );
    expect('fields' in result && result.fields.map(field => field.path).sort()).toEqual([
      '/cluster_class',
      '/partition',
      '/threads',
      '/worker_env'
    ]);
    const bounds = await backendOf('facility', FACILITY).plan(
      { type: 'facility', options: { adaptive: true, adaptive_minimum: 3, adaptive_maximum: 2 } },
      'c0ffee00'
    );
    expect(bounds).toEqual({
      fields: [
        {
          path: '/adaptive_minimum',
          message: 'Minimum workers (3) is more than Maximum workers (2); lower the minimum or raise the maximum.'
        }
      ]
    });
  });

  it('connects notebooks over TLS with the cluster’s own credentials', () => {
    const model = { id: 'c0ffee00', schedulerAddress: 'tls://127.0.0.1:4321' } as IClusterModel;
    const code = backendOf('facility', FACILITY).snippet(model, undefined);
    expect(code).toContain('tls_ca_file="/state/security/c0ffee00/ca.pem"');
    expect(code).toContain('client = Client("tls://127.0.0.1:4321", security=security)');
  });
});

describe('a site type for pyunicore.dask.UNICORECluster (no UNICORE server runs here)', () => {
  it('renders the submitter as calls the runner makes, the token read from its environment', async () => {
    const start = await startOf('unicore', UNICORE, { queue: 'develbooster', project: 'cdask', workers: 3 });
    expect(start).toEqual({
      op: 'start',
      cluster_id: 'c0ffee00',
      cluster_class: 'pyunicore.dask.UNICORECluster',
      kwargs: { n_workers: 3, queue: 'develbooster', project: 'cdask', threads: 4 },
      calls: {
        submitter: {
          cls: 'pyunicore.client.Client',
          kwargs: { site_url: 'https://unicore.example.org:8080/SITE/rest/core' },
          calls: {
            credential: {
              cls: 'pyunicore.credentials.create_credential',
              kwargs: {},
              calls: {},
              environ: { token: 'UNICORE_ACCESS_TOKEN' }
            }
          },
          environ: {}
        }
      },
      config: {},
      scaling: { mode: 'fixed', workers: 3 }
    });
  });

  it('keeps a value typed in the form as data, never a call', async () => {
    const start = await startOf('unicore', UNICORE, { queue: '{"cls": "os.system"}' });
    expect(start.kwargs.queue).toBe('{"cls": "os.system"}');
    expect(Object.keys(start.calls ?? {})).toEqual(['submitter']);
  });

  it('offers no worker variables field, since its mapping passes none on', async () => {
    const type = await backendOf('unicore', UNICORE).describe({});
    expect(type.schema.properties).not.toHaveProperty('worker_env');
  });
});

describe('broken site types', () => {
  it.each([
    [
      'a placeholder that is no option',
      { ...FACILITY, kwargs: { threads_per_worker: '{threadz}' } },
      '{threadz} is neither one of its options'
    ],
    ['an unknown key', { ...FACILITY, clas: 'x.Y' }, 'must NOT have additional properties "clas"'],
    ['no class', { title: 'x', kwargs: {} }, "must have required property 'class'"],
    [
      'an option of type object',
      { ...FACILITY, options: { extra: { type: 'object' } } },
      'option "extra" must have type string'
    ],
    [
      'a shared field as an option',
      { ...FACILITY, options: { workers: { type: 'integer' } } },
      'option "workers" is a field every type has'
    ],
    ['not an object', 'site_clusters.FacilityCluster', 'the entry must be object']
  ])('are listed as unavailable, with the reason: %s', async (_what, entry, reason) => {
    const type = await backendOf('broken', entry).describe({});
    expect(type.available).toBe(false);
    expect(type.reason).toContain(
      'The site type "broken" in the dask config (jupyterlab-dask-clusters.types.broken) is broken'
    );
    expect(type.reason).toContain(reason);
    const plan = await backendOf('broken', entry).plan({ type: 'broken', options: {} }, 'c0ffee00');
    expect('fields' in plan && plan.fields[0].message).toBe(type.reason);
  });

  it('says which module is missing from the server environment', async () => {
    const type = await backendOf('unicore', UNICORE, {
      'pyunicore.dask.UNICORECluster': "No module named 'pyunicore'"
    }).describe({});
    expect(type).toMatchObject({ available: false });
    expect(type.reason).toBe(
      "pyunicore.dask.UNICORECluster cannot be imported in the Jupyter server's environment (No module named 'pyunicore'); install its package there."
    );
  });

  it('may not take the id of a built-in type', async () => {
    const type = await backendOf('local', FACILITY).describe({});
    expect(type.reason).toContain('its id "local" is a built-in type\'s');
  });
});
