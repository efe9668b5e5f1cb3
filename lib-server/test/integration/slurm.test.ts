/**
 * SLURM clusters on the real single-node SLURM of scripts/slurm/slurm.sh
 * (`make slurm-up`): discovery, validation against the partitions, the job
 * script preview, workers as batch jobs over TLS, job states, scaling, job
 * logs, and no job left in the queue after a stop or a killed runner.
 */

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { IApiError, IClusterModel, IClusterType, IJobLog, IJobScript, ISnippet } from '../../../protocol/index.js';
import {
  childrenOf,
  Companion,
  makeTestDirs,
  PYTHON,
  removeTestDirs,
  serviceEnv,
  waitFor,
  type EventLog,
  type ITestDirs
} from './harness.js';

const SLURM_ENV_FILE = '/tmp/jdc-slurm/env';

/** The variables the service script wrote; fails loudly when SLURM was not started. */
function slurmEnv(): Record<string, string> {
  return serviceEnv(SLURM_ENV_FILE, 'start SLURM first (make slurm-up, or scripts/slurm/slurm.sh up as root)');
}

/** Ids of queued or running jobs whose name passes `test`. */
function queued(test: (name: string) => boolean): string[] {
  const out = execFileSync('squeue', ['--noheader', '--format=%i %j %T'], { encoding: 'utf8' });
  return out
    .split('\n')
    .map(line => line.trim().split(/\s+/))
    .filter(
      ([, name, state]) =>
        name !== undefined &&
        test(name) &&
        state !== undefined &&
        !['COMPLETED', 'CANCELLED', 'FAILED', 'TIMEOUT'].includes(state)
    )
    .map(([job]) => job);
}

/** Ids of queued or running jobs of cluster `id` (its job names end with the id). */
function queuedJobs(id: string): string[] {
  return queued(name => name.endsWith(`-${id}`));
}

/** A job's state as `squeue --json` lists it (finished jobs stay listed for a few minutes). */
function jobState(job: string): string | undefined {
  const out = execFileSync('squeue', ['--json', '--states=all', `--jobs=${job}`], { encoding: 'utf8' });
  const listed = (JSON.parse(out) as { jobs?: { job_id: number; job_state: string | string[] }[] }).jobs ?? [];
  const state = listed.find(entry => String(entry.job_id) === job)?.job_state;
  return Array.isArray(state) ? state.join(',') : state;
}

/** The SLURM client commands (Debian's slurm-client). */
const SLURM_COMMANDS = new Set([
  'sacct',
  'sacctmgr',
  'salloc',
  'sattach',
  'sbatch',
  'sbcast',
  'scancel',
  'scontrol',
  'sdiag',
  'sinfo',
  'sprio',
  'squeue',
  'sreport',
  'srun',
  'sshare',
  'sstat',
  'strigger'
]);

/**
 * PATH without the SLURM commands: each directory that holds one is
 * replaced by a directory (under `root`) of links to everything else in it.
 */
function pathWithoutSlurm(root: string): string {
  return (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter(dir => dir !== '')
    .map((dir, i) => {
      const entries = existsSync(dir) ? readdirSync(dir) : [];
      if (!entries.some(entry => SLURM_COMMANDS.has(entry))) {
        return dir;
      }
      const copy = path.join(root, `path-${i}`);
      mkdirSync(copy, { recursive: true });
      for (const entry of entries.filter(e => !SLURM_COMMANDS.has(e))) {
        symlinkSync(path.join(dir, entry), path.join(copy, entry));
      }
      return copy;
    })
    .join(path.delimiter);
}

const saved = { ...process.env };
let dirs: ITestDirs;
let companion: Companion;
let events: EventLog;
let shared: string;

const BASE = { partition: 'debug', walltime: '00:10:00', cores: 1, memory: '1 GiB', processes: 1 };

beforeAll(async () => {
  dirs = makeTestDirs('slurm');
  shared = path.join(dirs.root, 'shared');
  const daskConfig = path.join(dirs.root, 'dask');
  mkdirSync(daskConfig);
  // A site's jobqueue.yaml: its values become the dialog's defaults.
  writeFileSync(
    path.join(daskConfig, 'jobqueue.yaml'),
    "jobqueue:\n  slurm:\n    memory: 1536MiB\n    walltime: '00:20:00'\n"
  );
  Object.assign(process.env, slurmEnv(), {
    DASK_CONFIG: daskConfig,
    JUPYTERLAB_DASK_CLUSTERS_SLURM_DIR: shared,
    JUPYTERLAB_DASK_CLUSTERS_SQUEUE_INTERVAL_MS: '1000'
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

describe('the SLURM type', () => {
  it('is available, with partitions, their limits, and defaults from jobqueue.yaml', async () => {
    const types = (await companion.request('GET', '/api/types')).json as IClusterType[];
    const slurm = types.find(type => type.id === 'slurm');
    expect(slurm).toMatchObject({ available: true, preview: true });
    expect(slurm!.defaults).toMatchObject({
      partition: 'debug',
      memory: '1536MiB',
      walltime: '00:20:00',
      environment: PYTHON
    });
    expect(slurm!.sources).toContainEqual({
      field: 'memory',
      value: '1536MiB',
      source: 'your dask config (jobqueue.slurm)'
    });
    const names = (slurm!.uiSchema.partition as { 'ui:enumNames': string[] })['ui:enumNames'];
    expect(names[0]).toMatch(/^debug \(default\) — no time limit, \d+ CPUs and [\d.]+ GiB per node, up/);
    expect(names[1]).toMatch(/^short — max 00:05:00, /);
  });

  it.each([
    [
      'a walltime above the short partition limit',
      { partition: 'short', walltime: '00:10:00' },
      '/walltime',
      /allows \(00:05:00\).*choose partition debug/
    ],
    ['more cores than a node has', { cores: 999 }, '/cores', /CPUs of any node/],
    ['more memory than a node has', { memory: '10 TiB' }, '/memory', /of any node of partition debug/],
    ['a partition that does not exist', { partition: 'gpu' }, '/partition', /no partition "gpu"/],
    ['a bad walltime', { walltime: 'soon' }, '/walltime', /HH:MM:SS/]
  ])('refuses %s, field by field, and submits nothing', async (_what, options, field, message) => {
    const answer = await companion.request('POST', '/api/clusters', {
      type: 'slurm',
      options: { ...BASE, ...options }
    });
    expect(answer.status).toBe(422);
    const fields = (answer.json as IApiError).fields ?? [];
    expect(fields.find(f => f.path === field)?.message).toMatch(message);
    const preview = await companion.request('POST', '/api/types/slurm/preview', { options: { ...BASE, ...options } });
    expect(preview.status).toBe(422);
    expect((await companion.request('GET', '/api/clusters')).json).toEqual([]);
  });

  it('previews the exact job script, with the walltime handled', async () => {
    const answer = await companion.request('POST', '/api/types/slurm/preview', {
      options: {
        ...BASE,
        partition: 'short',
        walltime: '00:05:00',
        job_script_prologue: 'echo prologue',
        worker_env: 'JDC_VAR=hello there'
      }
    });
    expect(answer.status).toBe(200);
    const { script } = answer.json as IJobScript;
    expect(script).toContain('#SBATCH -p short');
    expect(script).toContain('#SBATCH -t 00:05:00');
    expect(script).toContain('echo prologue');
    // The worker variables come first in the prologue, quoted for sh.
    expect(script).toContain("export JDC_VAR='hello there'\necho prologue");
    // 5 minutes: workers retire after 4 min, +-30 s.
    expect(script).toContain('--lifetime 240s --lifetime-stagger 30s');
    expect(script).toMatch(/--tls-ca-file \S+\/ca\.pem/);
  }, 30_000);
});

describe('without SLURM on PATH', () => {
  it('lists the SLURM type as unavailable, saying what to do, and local clusters still work', async () => {
    const bare = makeTestDirs('no-slurm');
    const path0 = process.env.PATH;
    let other: Companion | undefined;
    let otherEvents: EventLog | undefined;
    try {
      process.env.PATH = pathWithoutSlurm(bare.root);
      expect(process.env.PATH.split(path.delimiter).some(dir => existsSync(path.join(dir, 'sbatch')))).toBe(false);
      other = await Companion.start(bare);
      otherEvents = await other.events();
      const types = (await other.request('GET', '/api/types')).json as IClusterType[];
      const slurm = types.find(type => type.id === 'slurm');
      expect(slurm).toMatchObject({ available: false });
      expect(slurm!.reason).toMatch(
        /^sbatch is not on PATH: start JupyterLab on a SLURM login node, with the SLURM commands on PATH/
      );
      const refused = await other.request('POST', '/api/clusters', { type: 'slurm', options: BASE });
      expect(refused.status).toBe(422);
      expect((refused.json as IApiError).fields?.[0].message).toMatch(/sbatch is not on PATH/);
      expect(types.find(type => type.id === 'local')).toMatchObject({ available: true });
      const created = await other.request('POST', '/api/clusters', {
        type: 'local',
        options: { workers: 1, threads_per_worker: 1, memory_per_worker: '512 MiB' }
      });
      expect(created.status).toBe(201);
      const { id } = created.json as IClusterModel;
      await otherEvents.waitForCluster(id, 'a running local cluster', m => m.state === 'running' && m.workers === 1);
      expect((await other.request('DELETE', `/api/clusters/${id}`)).status).toBe(202);
      await otherEvents.waitForCluster(id, 'stopped', m => m.state === 'stopped');
    } finally {
      process.env.PATH = path0;
      otherEvents?.close();
      await other?.stop();
      removeTestDirs(bare);
    }
  }, 90_000);
});

describe('refused before submitting', () => {
  it('refuses a partition that is down, on the partition field, and submits nothing', async () => {
    execFileSync('scontrol', ['update', 'PartitionName=short', 'State=DOWN']);
    try {
      const options = { ...BASE, partition: 'short', walltime: '00:05:00', job_name: 'jdc-down' };
      for (const url of ['/api/clusters', '/api/types/slurm/preview']) {
        const answer = await companion.request(
          'POST',
          url,
          url === '/api/clusters' ? { type: 'slurm', options } : { options }
        );
        expect(answer.status).toBe(422);
        expect((answer.json as IApiError).fields).toEqual([
          { path: '/partition', message: 'Partition short is down; choose another partition (debug).' }
        ]);
      }
      expect((await companion.request('GET', '/api/clusters')).json).toEqual([]);
      expect(queued(name => name.startsWith('jdc-down-'))).toEqual([]);
    } finally {
      execFileSync('scontrol', ['update', 'PartitionName=short', 'State=UP']);
    }
  }, 30_000);

  it("shows sbatch's own refusal word for word, on the directive to change, and leaves no job and no runner", async () => {
    // What sbatch answers on this GPU-less node, by hand: the text the user must see.
    const byHand = spawnSync('sbatch', ['--test-only'], {
      input: '#!/bin/sh\n#SBATCH --gres=gpu:1\ntrue\n',
      encoding: 'utf8'
    }).stderr.trim();
    expect(byHand).toBe('sbatch: error: Invalid generic resource (gres) specification');
    const options = { ...BASE, job_name: 'jdc-gres', job_extra_directives: '--exclusive=user\n--gres=gpu:1' };
    for (const url of ['/api/clusters', '/api/types/slurm/preview']) {
      const answer = await companion.request(
        'POST',
        url,
        url === '/api/clusters' ? { type: 'slurm', options } : { options }
      );
      expect(answer.status).toBe(422);
      const fields = (answer.json as IApiError).fields ?? [];
      expect(fields).toEqual([
        {
          path: '/job_extra_directives',
          message: `sbatch refuses this job: ${byHand} — without --gres=gpu:1 it would be accepted: change or remove that line of Extra #SBATCH directives.`
        }
      ]);
    }
    expect((await companion.request('GET', '/api/clusters')).json).toEqual([]);
    expect(queued(name => name.startsWith('jdc-gres-'))).toEqual([]);
    expect(childrenOf(companion.child.pid!)).toEqual([]);
  }, 60_000);
});

describe('a SLURM cluster', () => {
  let cluster: IClusterModel;

  it('starts 2 workers as batch jobs that connect over TLS', async () => {
    const answer = await companion.request('POST', '/api/clusters', {
      type: 'slurm',
      name: 'hpc',
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
    expect(running.hasDashboard).toBe(true);
    expect(queuedJobs(cluster.id)).toHaveLength(2);
  }, 120_000);

  it('shows each job RUNNING on its node, with the time left', async () => {
    const model = await events.waitForCluster(
      cluster.id,
      'two running jobs',
      m =>
        m.jobs.length === 2 &&
        m.jobs.every(job => job.state === 'RUNNING' && job.node === 'localhost' && job.endsAt !== undefined)
    );
    const left = Date.parse(model.jobs[0].endsAt!) - Date.now();
    expect(left).toBeGreaterThan(8 * 60_000);
    expect(left).toBeLessThanOrEqual(10 * 60_000 + 5_000);
    expect(new Set(model.jobs.map(job => job.id))).toEqual(new Set(queuedJobs(cluster.id)));
    // The runner says which worker each job runs: some systems (LSF) name log files after it.
    const registry = JSON.parse(readFileSync(path.join(dirs.state, 'clusters.json'), 'utf8')) as {
      clusters: { model: { id: string }; jobNames?: Record<string, string> }[];
    };
    const names = registry.clusters.find(record => record.model.id === cluster.id)?.jobNames ?? {};
    expect(Object.keys(names).sort()).toEqual(model.jobs.map(job => job.id).sort());
    expect(new Set(Object.values(names)).size).toBe(2);
  }, 30_000);

  it('keeps the credentials private and out of the snippet, which connects and computes', async () => {
    const dir = path.join(shared, cluster.id);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    for (const file of ['ca.pem', 'cert.pem', 'key.pem']) {
      expect(statSync(path.join(dir, file)).mode & 0o777).toBe(0o600);
    }
    const { code } = (await companion.request('GET', `/api/clusters/${cluster.id}/snippet`)).json as ISnippet;
    expect(code).not.toMatch(/BEGIN|PRIVATE/);
    expect(code).toContain(path.join(dir, 'key.pem'));
    const out = execFileSync(
      PYTHON,
      ['-c', `${code}\nprint(client.submit(sum, [1, 2, 3]).result(), len(client.nthreads()))`],
      {
        encoding: 'utf8',
        timeout: 60_000
      }
    );
    expect(out.trim()).toBe('6 2');
  }, 60_000);

  it("gives the workers in the batch jobs the form's environment variables", async () => {
    const { code } = (await companion.request('GET', `/api/clusters/${cluster.id}/snippet`)).json as ISnippet;
    const program = [code, 'import os', "print(sorted(client.run(lambda: os.environ.get('JDC_VAR')).values()))"];
    const out = execFileSync(PYTHON, ['-c', program.join('\n')], { encoding: 'utf8', timeout: 60_000 });
    expect(out.trim()).toBe("['from the form', 'from the form']");
  }, 60_000);

  it('refuses a client without the credentials', async () => {
    const address = ((await companion.request('GET', `/api/clusters/${cluster.id}`)).json as IClusterModel)
      .schedulerAddress!;
    const plain = address.replace(/^tls:/, 'tcp:');
    const code = [
      'from dask.distributed import Client',
      'for address in [' + JSON.stringify(address) + ', ' + JSON.stringify(plain) + ']:',
      '    try:',
      '        Client(address, timeout=5)',
      '        print("connected")',
      '    except Exception as exc:',
      '        print("refused", type(exc).__name__)'
    ].join('\n');
    const out = execFileSync(PYTHON, ['-c', code], { encoding: 'utf8', timeout: 60_000 });
    expect(out.trim().split('\n')).toEqual([expect.stringMatching(/^refused/), expect.stringMatching(/^refused/)]);
  }, 60_000);

  it("serves a job's output and error files", async () => {
    const job =
      cluster.id && ((await companion.request('GET', `/api/clusters/${cluster.id}`)).json as IClusterModel).jobs[0].id;
    const log = await waitFor('the worker log', async () => {
      const answer = await companion.request('GET', `/api/clusters/${cluster.id}/jobs/${job}/log`);
      const body = answer.json as IJobLog;
      return answer.status === 200 && body.stderr.lines.join('\n').includes('distributed.worker') ? body : undefined;
    });
    expect(log.stderr.path).toContain(path.join(shared, 'logs'));
    expect((await companion.request('GET', `/api/clusters/${cluster.id}/jobs/999999/log`)).status).toBe(404);
  }, 30_000);

  it('scales up to 3 workers: the third job waits, PENDING with its reason; then down to 1', async () => {
    // The test node has 2 CPUs: a third 1-core job cannot start.
    expect(
      (await companion.request('POST', `/api/clusters/${cluster.id}/scale`, { mode: 'fixed', workers: 3 })).status
    ).toBe(200);
    const three = await events.waitForCluster(
      cluster.id,
      '3 jobs, one pending',
      m => m.jobs.length === 3 && m.jobs.some(job => job.state === 'PENDING' && job.reason !== undefined),
      60_000
    );
    expect(three.jobs.find(job => job.state === 'PENDING')).toMatchObject({
      reason: expect.stringMatching(/Resources|Priority/)
    });
    expect(queuedJobs(cluster.id)).toHaveLength(3);
    expect(
      (await companion.request('POST', `/api/clusters/${cluster.id}/scale`, { mode: 'fixed', workers: 1 })).status
    ).toBe(200);
    await events.waitForCluster(cluster.id, '1 worker', m => m.workers === 1 && m.jobs.length === 1, 60_000);
    await waitFor('2 jobs cancelled', () => queuedJobs(cluster.id).length === 1, 30_000);
  }, 150_000);

  it('adapts between 0 and 2 workers', async () => {
    expect(
      (
        await companion.request('POST', `/api/clusters/${cluster.id}/scale`, {
          mode: 'adaptive',
          minimum: 0,
          maximum: 2
        })
      ).status
    ).toBe(200);
    await events.waitForCluster(cluster.id, 'adaptive', m => m.scaling.mode === 'adaptive');
  });

  it('stops: every job cancelled, the credentials removed', async () => {
    expect((await companion.request('DELETE', `/api/clusters/${cluster.id}`)).status).toBe(202);
    const stopped = await events.waitForCluster(
      cluster.id,
      'stopped without jobs',
      m => m.state === 'stopped' && m.jobs.length === 0,
      60_000
    );
    expect(stopped.error).toBeUndefined();
    await waitFor('an empty queue', () => queuedJobs(cluster.id).length === 0, 20_000);
    expect(existsSync(path.join(shared, cluster.id))).toBe(false);
  }, 90_000);
});

describe('no orphans', () => {
  it('cancels the jobs of a runner killed with SIGKILL', async () => {
    const answer = await companion.request('POST', '/api/clusters', {
      type: 'slurm',
      options: { ...BASE, workers: 2 }
    });
    expect(answer.status).toBe(201);
    const { id } = answer.json as IClusterModel;
    await waitFor('2 jobs in the queue', () => queuedJobs(id).length === 2, 60_000);
    await events.waitForCluster(id, 'running', m => m.state === 'running' && m.jobs.length === 2, 60_000);
    process.kill(companion.runnerPid(id)!, 'SIGKILL');
    await events.waitForCluster(id, 'failed', m => m.state === 'failed');
    await waitFor('an empty queue', () => queuedJobs(id).length === 0, 20_000);
    await events.waitForCluster(id, 'jobs forgotten', m => m.state === 'failed' && m.jobs.length === 0);
  }, 120_000);
});

describe('the walltime, handled', () => {
  it("keeps an adaptive cluster computing across its first worker's lifetime: that job ends itself before the walltime, a replacement takes over, no KilledWorker", async () => {
    // 2 minutes of walltime: workers retire after 60 s +- 30 s, at least 30 s before SLURM would kill them.
    const answer = await companion.request('POST', '/api/clusters', {
      type: 'slurm',
      options: {
        ...BASE,
        walltime: '00:02:00',
        adaptive: true,
        adaptive_minimum: 1,
        adaptive_maximum: 1,
        job_name: 'jdc-life'
      }
    });
    expect(answer.status).toBe(201);
    const { id } = answer.json as IClusterModel;
    const stop = path.join(dirs.root, `stop-${id}`);
    const output: string[] = [];
    const errors: string[] = [];
    let exited: Promise<number | null> | undefined;
    try {
      const running = await events.waitForCluster(
        id,
        'the first worker',
        m => m.state === 'running' && m.workers === 1 && m.jobs.length === 1,
        90_000
      );
      const first = running.jobs[0].id;
      const { code } = (await companion.request('GET', `/api/clusters/${id}/snippet`)).json as ISnippet;
      // A client that computes a 1 s task every 2 s and says when each was submitted, finished, and in which job it ran.
      const program = [
        code,
        'import os, time',
        'def where():',
        '    time.sleep(1)',
        '    return os.environ.get("SLURM_JOB_ID", "?")',
        `while not os.path.exists(${JSON.stringify(stop)}):`,
        '    submitted = time.time()',
        '    job = client.submit(where, pure=False).result()',
        '    print(int(submitted * 1000), int(time.time() * 1000), job, flush=True)',
        '    time.sleep(2)'
      ].join('\n');
      const client = spawn(PYTHON, ['-c', program], { stdio: ['ignore', 'pipe', 'pipe'] });
      client.stdout.on('data', chunk => output.push(String(chunk)));
      client.stderr.on('data', chunk => errors.push(String(chunk)));
      exited = new Promise(resolve => client.once('exit', resolve));
      const results = () =>
        output
          .join('')
          .split('\n')
          .filter(line => line !== '')
          .map(line => {
            const [submitted, finished, job] = line.split(' ');
            return { submitted: Number(submitted), finished: Number(finished), job };
          });
      await waitFor('a task on the first job', () => results().some(r => r.job === first), 60_000);

      const replaced = await events.waitForCluster(
        id,
        'a replacement job with its worker',
        m => m.workers === 1 && m.jobs.some(job => job.id !== first && job.state === 'RUNNING'),
        150_000
      );
      const second = replaced.jobs.find(job => job.id !== first)!.id;
      // The first job ended by itself, before SLURM's walltime kill.
      expect(jobState(first)).toBe('COMPLETED');
      const log = await companion.request('GET', `/api/clusters/${id}/jobs/${first}/log`);
      expect(log.status).toBe(200);
      expect((log.json as IJobLog).stderr.lines.join('\n')).toContain('worker-lifetime-reached');
      await waitFor('a task on the replacement job', () => results().some(r => r.job === second), 30_000);
      writeFileSync(stop, '');
      expect(await exited).toBe(0);
      expect(errors.join('')).not.toMatch(/KilledWorker|Traceback/);
      const jobs = new Set(results().map(r => r.job));
      expect(jobs).toEqual(new Set([first, second]));
      // A task submitted while the first worker left waited for the replacement and finished there.
      expect(results().some(r => r.job === second && r.finished - r.submitted > 5_000)).toBe(true);
    } finally {
      writeFileSync(stop, '');
      await exited;
      expect((await companion.request('DELETE', `/api/clusters/${id}`)).status).toBe(202);
      await events.waitForCluster(
        id,
        'stopped without jobs',
        m => m.state === 'stopped' && m.jobs.length === 0,
        60_000
      );
      await waitFor('an empty queue', () => queuedJobs(id).length === 0, 20_000);
    }
  }, 300_000);
});
