/**
 * A site-defined type, as an administrator adds one: a LocalCluster subclass
 * the site ships (tests/site/site_clusters.py) and its entry in the dask
 * config (tests/site/site-types.yaml), with no change to the package. It is
 * listed with its form, validates, starts through the real runner, scales,
 * shows its dashboard, gives working code and stops. The broken entry and
 * the UNICORE one (pyunicore is not installed here) are listed with reasons.
 */

import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IApiError, IClusterModel, IClusterType, ISnippet } from '../../../protocol/index.js';
import {
  Companion,
  groupMembers,
  makeTestDirs,
  PYTHON,
  removeTestDirs,
  waitFor,
  type EventLog,
  type ITestDirs
} from './harness.js';

const SITE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'jupyterlab_dask_clusters',
  'tests',
  'site'
);

let dirs: ITestDirs;
let companion: Companion;
let events: EventLog;
let cluster: IClusterModel;

beforeAll(async () => {
  dirs = makeTestDirs('site');
  // A copy: dask packages may write their own YAML into the config directory.
  const config = path.join(dirs.root, 'dask');
  mkdirSync(config);
  copyFileSync(path.join(SITE, 'site-types.yaml'), path.join(config, 'site-types.yaml'));
  companion = await Companion.start(dirs, { env: { DASK_CONFIG: config, PYTHONPATH: SITE } });
  events = await companion.events();
}, 30_000);

afterAll(async () => {
  events?.close();
  await companion?.stop();
  removeTestDirs(dirs);
}, 60_000);

async function types(): Promise<Map<string, IClusterType>> {
  const answer = await companion.request('GET', '/api/types');
  expect(answer.status).toBe(200);
  return new Map((answer.json as IClusterType[]).map(type => [type.id, type]));
}

describe('a site type from the dask config', () => {
  it('is listed beside the built-in types, with its own fields in the form', async () => {
    const all = await types();
    expect([...all.keys()]).toEqual([
      'local',
      'slurm',
      'sge',
      'pbs',
      'lsf',
      'htcondor',
      'gateway',
      'facility',
      'unicore',
      'broken'
    ]);
    const facility = all.get('facility')!;
    expect(facility).toMatchObject({
      title: 'Facility node',
      available: true,
      defaults: { partition: 'interactive', threads: 1, workers: 1 }
    });
    expect(facility.schema.properties).toHaveProperty('partition.enum', ['interactive', 'batch']);
    expect(all.get('local')).toMatchObject({ available: true });
  });

  it('lists a broken entry and a class that cannot be imported as unavailable, with the reason', async () => {
    const all = await types();
    expect(all.get('broken')).toMatchObject({ available: false });
    expect(all.get('broken')!.reason).toContain('{threadz} is neither one of its options');
    expect(all.get('unicore')).toMatchObject({
      available: false,
      reason: expect.stringContaining(
        "pyunicore.dask.UNICORECluster cannot be imported in the Jupyter server's environment"
      )
    });
  });

  it('refuses bad values and unknown fields, and launches nothing', async () => {
    const answer = await companion.request('POST', '/api/clusters', {
      type: 'facility',
      options: { threads: 3, cluster_class: 'os.system' }
    });
    expect(answer.status).toBe(422);
    expect((answer.json as IApiError).fields!.map(field => field.path).sort()).toEqual(['/cluster_class', '/threads']);
    expect((await companion.request('GET', '/api/clusters')).json).toEqual([]);
  });

  it('starts the site class with the mapped arguments', async () => {
    const answer = await companion.request('POST', '/api/clusters', {
      type: 'facility',
      name: 'site',
      options: { partition: 'batch', threads: 2, workers: 1, worker_env: 'JDC_SITE=from the form' }
    });
    expect(answer.status).toBe(201);
    cluster = answer.json as IClusterModel;
    const running = await events.waitForCluster(
      cluster.id,
      'one worker',
      model => model.state === 'running' && model.workers === 1
    );
    expect(running).toMatchObject({ cores: 2, hasDashboard: true });
    expect(running.schedulerAddress).toMatch(/^tls:\/\/127\.0\.0\.1:\d+$/);
  }, 90_000);

  it('scales', async () => {
    const answer = await companion.request('POST', `/api/clusters/${cluster.id}/scale`, { mode: 'fixed', workers: 2 });
    expect(answer.status).toBe(200);
    await events.waitForCluster(cluster.id, 'two workers', model => model.workers === 2 && model.cores === 4);
  }, 60_000);

  it('gives code that connects, to workers made by the site class with the form’s variables', async () => {
    const snippet = (await companion.request('GET', `/api/clusters/${cluster.id}/snippet`)).json as ISnippet;
    expect(snippet.code).toContain('security=security');
    const code = [
      snippet.code,
      'import os',
      "print(sorted(set(client.run(lambda: os.environ.get('JDC_SITE')).values())))",
      // The site class gives each worker its partition as a resource.
      "print(client.submit(lambda: 6 * 7, resources={'batch': 1}).result())"
    ].join('\n');
    const out = execFileSync(PYTHON, ['-c', code], { encoding: 'utf8', timeout: 60_000 });
    expect(out.trim().split('\n')).toEqual(["['from the form']", '42']);
  }, 90_000);

  it('shows its dashboard through the proxy', async () => {
    const page = await companion.request('GET', `/dashboard/${cluster.id}/individual-task-stream`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('Bokeh');
  });

  it('stops: runner and workers gone', async () => {
    const runnerPid = companion.runnerPid(cluster.id)!;
    expect(groupMembers(runnerPid).length).toBeGreaterThanOrEqual(3); // runner + 2 worker processes
    const answer = await companion.request('DELETE', `/api/clusters/${cluster.id}`);
    expect(answer.status).toBe(202);
    await events.waitForCluster(cluster.id, 'stopped', model => model.state === 'stopped');
    await waitFor('the runner and its workers to exit', () => groupMembers(runnerPid).length === 0);
  }, 60_000);
});
