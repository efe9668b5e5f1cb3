/**
 * Grid Engine clusters on the real single-node Grid Engine of scripts/sge/sge.sh
 * (`make sge-up`): the `sge` type is a definition with hooks (backends/sge),
 * run by the generic engine. Its queues and their h_rt in the form, the job
 * script preview, a walltime above a queue's h_rt refused before anything is
 * submitted, workers as real SGE jobs over TLS, job states (r on its host,
 * qw with the scheduler's reason), scaling, the end of a job deleted outside
 * JupyterLab from `qacct`, and no job left in `qstat -u '*'` after a stop or
 * a runner killed with SIGKILL.
 */

import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { IApiError, IClusterModel, IClusterType, IJobLog, IJobScript, ISnippet } from '../../../protocol/index.js';
import {
  Companion,
  makeTestDirs,
  PYTHON,
  removeTestDirs,
  waitFor,
  type EventLog,
  type ITestDirs,
  serviceEnv
} from './harness.js';

const SGE_ENV_FILE = '/tmp/jdc-sge/env';

/** The variables the service script wrote; fails loudly when Grid Engine was not started. */
function sgeEnv(): Record<string, string> {
  return serviceEnv(SGE_ENV_FILE, 'start Grid Engine first (make sge-up, or scripts/sge/sge.sh up as root)');
}

/** Every job of every user, as `qstat -u '*'` lists them: [id, name, state]. */
function allJobs(): string[][] {
  const out = execFileSync('qstat', ['-u', '*'], { encoding: 'utf8' });
  return out
    .split('\n')
    .map(line => line.trim().split(/\s+/))
    .filter(fields => /^\d+$/.test(fields[0] ?? ''))
    .map(([id, , name, , state]) => [id, name, state]);
}

/** Ids of the jobs of cluster `id` (full names from `qstat -j`, since qstat cuts them to 10 characters). */
function clusterJobs(id: string): string[] {
  return allJobs()
    .map(([job]) => job)
    .filter(job => {
      try {
        const out = execFileSync('qstat', ['-j', job], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
        return /^job_name:\s+\S+-(\S+)$/m.exec(out)?.[1] === id;
      } catch {
        // Gone between the two commands.
        return false;
      }
    });
}

const saved = { ...process.env };
let env: Record<string, string>;
let dirs: ITestDirs;
let companion: Companion;
let events: EventLog;
let shared: string;

const BASE = { queue: 'all.q', walltime: '00:10:00', cores: 1, memory: '1 GiB', processes: 1 };

beforeAll(async () => {
  env = sgeEnv();
  dirs = makeTestDirs('sge');
  shared = path.join(dirs.root, 'shared');
  const daskConfig = path.join(dirs.root, 'dask');
  mkdirSync(daskConfig);
  // A site's jobqueue.yaml, spelt with underscores: its values become the dialog's defaults.
  writeFileSync(
    path.join(daskConfig, 'jobqueue.yaml'),
    "jobqueue:\n  sge:\n    memory: 1536MiB\n    job_extra_directives: ['-V']\n"
  );
  Object.assign(process.env, env, {
    PATH: `${env.JDC_SGE_BIN}${path.delimiter}${process.env.PATH ?? ''}`,
    DASK_CONFIG: daskConfig,
    JUPYTERLAB_DASK_CLUSTERS_SGE_DIR: shared,
    JUPYTERLAB_DASK_CLUSTERS_QSTAT_INTERVAL_MS: '1000'
  });
  companion = await Companion.start(dirs);
  events = await companion.events();
}, 30_000);

afterAll(async () => {
  events?.close();
  await companion?.stop();
  process.env = saved;
  removeTestDirs(dirs);
}, 60_000);

describe('the sge type', () => {
  it("is available, with the queues and their h_rt, and defaults from the site's jobqueue.sge", async () => {
    const types = (await companion.request('GET', '/api/types')).json as IClusterType[];
    const sge = types.find(type => type.id === 'sge');
    expect(sge).toMatchObject({ available: true, preview: true });
    expect(sge!.defaults).toMatchObject({
      queue: env.JDC_SGE_DEFAULT_QUEUE,
      memory: '1536MiB',
      job_extra_directives: '-V',
      parallel_environment: env.JDC_SGE_PE,
      log_directory: path.join(shared, 'logs'),
      environment: PYTHON
    });
    expect(sge!.sources).toContainEqual({
      field: 'memory',
      value: '1536MiB',
      source: 'your dask config (jobqueue.sge)'
    });
    expect(sge!.schema.properties).toHaveProperty('queue.enum', env.JDC_SGE_QUEUES.split(','));
    expect((sge!.uiSchema.queue as { 'ui:enumNames': string[] })['ui:enumNames']).toEqual([
      `all.q — h_rt ${env.JDC_SGE_ALL_HRT}, ${env.JDC_SGE_SLOTS} slots per host`,
      `short.q — h_rt ${env.JDC_SGE_SHORT_HRT}, ${env.JDC_SGE_SLOTS} slots per host`
    ]);
  });

  it('previews the job script: h_rt, the parallel environment for 2 cores, the lifetime, TLS', async () => {
    const answer = await companion.request('POST', '/api/types/sge/preview', {
      options: { ...BASE, queue: 'short.q', walltime: '00:05:00', cores: 2, worker_env: 'JDC_VAR=hello there' }
    });
    expect(answer.status).toBe(200);
    const { script } = answer.json as IJobScript;
    expect(script).toContain('#$ -q short.q');
    expect(script).toContain('#$ -l h_rt=00:05:00');
    expect(script).toContain(`#$ -pe ${env.JDC_SGE_PE} 2`);
    expect(script).toContain('#$ -V');
    expect(script).toContain(`#$ -o ${path.join(shared, 'logs')}/`);
    expect(script).toMatch(/#\$ -N dask-worker-<cluster-id>/);
    expect(script).toContain("export JDC_VAR='hello there'");
    expect(script).toContain('--lifetime 240s --lifetime-stagger 30s');
    expect(script).toContain('--no-dashboard --dashboard-address 127.0.0.1:0');
    expect(script).toMatch(/--tls-ca-file \S+\/ca\.pem/);
    // One core: no parallel environment.
    const one = await companion.request('POST', '/api/types/sge/preview', { options: BASE });
    expect((one.json as IJobScript).script).not.toContain('-pe ');
  }, 60_000);

  it("refuses a walltime above short.q's h_rt on the walltime field, and submits nothing", async () => {
    const options = { ...BASE, queue: 'short.q', walltime: '00:10:00', job_name: 'jdc-long' };
    for (const url of ['/api/clusters', '/api/types/sge/preview']) {
      const answer = await companion.request(
        'POST',
        url,
        url === '/api/clusters' ? { type: 'sge', options } : { options }
      );
      expect(answer.status).toBe(422);
      const fields = (answer.json as IApiError).fields ?? [];
      expect(fields).toEqual([
        {
          path: '/walltime',
          message: expect.stringMatching(
            /^Queue short\.q allows at most 00:05:00 \(h_rt\);.*or queue all\.q \(h_rt 01:00:00\)\.$/
          )
        }
      ]);
    }
    expect((await companion.request('GET', '/api/clusters')).json).toEqual([]);
    // Other test runs may use the same Grid Engine: none of the listed jobs is this one.
    expect(allJobs().filter(([, name]) => name.startsWith('jdc-long'))).toEqual([]);
  }, 60_000);
});

describe('an SGE cluster', () => {
  let cluster: IClusterModel;

  it('starts 2 workers as Grid Engine jobs that connect over TLS', async () => {
    const answer = await companion.request('POST', '/api/clusters', {
      type: 'sge',
      name: 'grid',
      options: { ...BASE, workers: 2, worker_env: 'JDC_VAR=from the form' }
    });
    expect(answer.status).toBe(201);
    cluster = answer.json as IClusterModel;
    const running = await events.waitForCluster(
      cluster.id,
      'running with 2 workers',
      m => m.state === 'running' && m.workers === 2,
      90_000
    );
    expect(running.schedulerAddress).toMatch(/^tls:\/\//);
    expect(clusterJobs(cluster.id)).toHaveLength(2);
  }, 120_000);

  it('shows each job in state r on its host, with its end time', async () => {
    const model = await events.waitForCluster(
      cluster.id,
      'two running jobs',
      m => m.jobs.length === 2 && m.jobs.every(job => job.state === 'r' && job.node === env.JDC_SGE_HOST && job.endsAt)
    );
    expect(new Set(model.jobs.map(job => job.id))).toEqual(new Set(clusterJobs(cluster.id)));
    const left = Date.parse(model.jobs[0].endsAt!) - Date.now();
    expect(left).toBeGreaterThan(8 * 60_000);
    expect(left).toBeLessThanOrEqual(10 * 60_000 + 5_000);
  }, 30_000);

  it('computes with the snippet over TLS, and the workers have the form’s variables', async () => {
    const dir = path.join(shared, cluster.id);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const { code } = (await companion.request('GET', `/api/clusters/${cluster.id}/snippet`)).json as ISnippet;
    expect(code).toContain(path.join(dir, 'key.pem'));
    const program = [
      code,
      'import os',
      'print(client.submit(sum, [1, 2, 3]).result(), len(client.nthreads()))',
      "print(sorted(client.run(lambda: os.environ.get('JDC_VAR')).values()))",
      'print(client.scheduler.address)'
    ];
    const out = execFileSync(PYTHON, ['-c', program.join('\n')], { encoding: 'utf8', timeout: 60_000 });
    expect(out.trim().split('\n')).toEqual([
      '6 2',
      "['from the form', 'from the form']",
      expect.stringMatching(/^tls:\/\//)
    ]);
  }, 60_000);

  it("serves a job's output file from the log directory", async () => {
    const model = (await companion.request('GET', `/api/clusters/${cluster.id}`)).json as IClusterModel;
    const log = await waitFor('the worker log', async () => {
      const answer = await companion.request('GET', `/api/clusters/${cluster.id}/jobs/${model.jobs[0].id}/log`);
      const body = answer.json as IJobLog;
      return answer.status === 200 && body.stdout.lines.join('\n').includes('distributed.worker') ? body : undefined;
    });
    expect(log.stdout.path).toBe(path.join(shared, 'logs', `dask-worker-${cluster.id}.o${model.jobs[0].id}`));
  }, 30_000);

  it("scales to 3 (the third job waits in qw with the scheduler's reason), then down to 1", async () => {
    // The queue has 2 slots: a third 1-core job cannot start.
    const scale = (workers: number) =>
      companion.request('POST', `/api/clusters/${cluster.id}/scale`, { mode: 'fixed', workers });
    expect((await scale(3)).status).toBe(200);
    const three = await events.waitForCluster(
      cluster.id,
      '3 jobs, one waiting with its reason',
      m => m.jobs.length === 3 && m.jobs.some(job => job.state === 'qw' && job.reason !== undefined),
      60_000
    );
    // The scheduler's own words, from qstat -j: the queue instance is full.
    expect(three.jobs.find(job => job.state === 'qw')).toMatchObject({
      reason: expect.stringMatching(/queue instance "all\.q@\S+" dropped because it is full/)
    });
    expect(three.jobs.filter(job => job.state === 'r').map(job => job.node)).toEqual([
      env.JDC_SGE_HOST,
      env.JDC_SGE_HOST
    ]);
    expect(clusterJobs(cluster.id)).toHaveLength(3);
    expect((await scale(1)).status).toBe(200);
    await events.waitForCluster(cluster.id, '1 worker', m => m.workers === 1 && m.jobs.length === 1, 60_000);
    await waitFor('2 jobs deleted', () => clusterJobs(cluster.id).length === 1, 30_000);
  }, 150_000);

  it('says how a job deleted outside JupyterLab ended, on its row and on the item, from qacct', async () => {
    const [job] = clusterJobs(cluster.id);
    execFileSync('qdel', [job], { stdio: 'ignore' });
    const ended = await events.waitForCluster(
      cluster.id,
      'the deleted job ended',
      m => m.jobs.some(row => row.id === job && row.state === 'KILLED'),
      60_000
    );
    const said =
      'deleted outside JupyterLab (qdel) or killed by SIGKILL (qacct: failed 100 (assumedly after job), exit status 137)';
    expect(ended.jobs.find(row => row.id === job)?.reason).toBe(said);
    expect(ended.jobsNote).toContain(`Job ${job} ended: ${said}.`);
  }, 90_000);

  it("stops, and leaves no job in qstat -u '*'", async () => {
    const model = (await companion.request('GET', `/api/clusters/${cluster.id}`)).json as IClusterModel;
    const ids = new Set([...model.jobs.map(job => job.id), ...clusterJobs(cluster.id)]);
    expect(ids.size).toBe(1);
    expect((await companion.request('DELETE', `/api/clusters/${cluster.id}`)).status).toBe(202);
    await events.waitForCluster(cluster.id, 'stopped', m => m.state === 'stopped', 60_000);
    // Other test runs may use the same Grid Engine: none of the jobs left is this cluster's.
    await waitFor(
      "no job of the cluster in qstat -u '*'",
      () => clusterJobs(cluster.id).length === 0 && allJobs().every(([job]) => !ids.has(job)),
      30_000
    );
  }, 90_000);
});

describe('no orphans', () => {
  it('deletes the jobs of a runner killed with SIGKILL, the waiting one too', async () => {
    // 3 workers on 2 slots: the third job would wait in qw for ever if nobody deleted it.
    const answer = await companion.request('POST', '/api/clusters', {
      type: 'sge',
      options: { ...BASE, workers: 3 }
    });
    expect(answer.status).toBe(201);
    const { id } = answer.json as IClusterModel;
    await events.waitForCluster(
      id,
      'running, 2 jobs in r and 1 in qw',
      m =>
        m.state === 'running' &&
        m.jobs.filter(job => job.state === 'r').length === 2 &&
        m.jobs.filter(job => job.state === 'qw').length === 1,
      90_000
    );
    const ids = new Set(clusterJobs(id));
    expect(ids.size).toBe(3);
    process.kill(companion.runnerPid(id)!, 'SIGKILL');
    await events.waitForCluster(id, 'failed', m => m.state === 'failed');
    await waitFor(
      "no job of the cluster in qstat -u '*'",
      () => clusterJobs(id).length === 0 && allJobs().every(([job]) => !ids.has(job)),
      30_000
    );
    await events.waitForCluster(id, 'jobs forgotten', m => m.state === 'failed' && m.jobs.length === 0);
  }, 150_000);
});
