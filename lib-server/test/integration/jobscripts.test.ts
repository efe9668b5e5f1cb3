/**
 * The job scripts the real runner renders (`runner.py job-script`) for each
 * batch system dask-jobqueue knows: the system's directives, the prologue,
 * the worker's extra arguments and TLS files, and nothing of the arguments
 * only the cluster class takes (the runner drops them by signature). Then
 * the previews of the pbs, lsf and htcondor types: their definitions'
 * arguments, rendered by real dask-jobqueue.
 */

import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { definedBackend } from '../../src/backends/defined.js';
import type { ITypeDefinition } from '../../src/backends/definition.js';
import { htcondorDefinition } from '../../src/backends/htcondor/definition.js';
import { parseBqueuesLong } from '../../src/backends/jobqueue/lsf.js';
import { parsePbsQueues } from '../../src/backends/jobqueue/pbs.js';
import { lsfDefinition } from '../../src/backends/lsf/definition.js';
import { pbsDefinition } from '../../src/backends/pbs/definition.js';
import type { IEnvironmentInfo } from '../../src/envs/probe.js';
import { runRunnerJson } from '../../src/runner/json.js';
import { PYTHON, RUNNER } from './harness.js';

let tls: string;
let shared: string;

/** What every system gets: the worker's part, TLS, and the cluster-only arguments the runner must drop. */
function common(): Record<string, unknown> {
  return {
    cores: 8,
    memory: '28GB',
    processes: 2,
    job_script_prologue: ['export X=1'],
    worker_extra_args: ['--lifetime', '55m', '--lifetime-stagger', '4m'],
    security_directory: tls,
    // Cluster-only: none of these may reach the job class.
    shared_temp_directory: shared,
    n_workers: 3,
    silence_logs: 'error',
    scheduler_options: { port: 48786, dashboard_address: ':48787' }
  };
}

async function render(clusterClass: string, kwargs: Record<string, unknown>) {
  return execa(PYTHON, [RUNNER, 'job-script'], {
    input: JSON.stringify({ cluster_class: clusterClass, kwargs: { ...common(), ...kwargs } }),
    reject: false,
    timeout: 60_000
  });
}

async function script(clusterClass: string, kwargs: Record<string, unknown>): Promise<string> {
  const result = await render(clusterClass, kwargs);
  if (result.exitCode !== 0) {
    throw new Error(`runner.py job-script failed for ${clusterClass}: ${String(result.stderr)}`);
  }
  return (JSON.parse(String(result.stdout)) as { script: string }).script;
}

beforeAll(async () => {
  tls = mkdtempSync(path.join(os.tmpdir(), 'jobscripts-tls-'));
  chmodSync(tls, 0o700);
  shared = mkdtempSync(path.join(os.tmpdir(), 'jobscripts-shared-'));
  // What runner.py's _write_tls_credentials writes: Security.temporary()'s CA, certificate and key.
  const write = [
    'import os, sys',
    'from distributed.security import Security',
    't = Security.temporary()',
    'for name, value in (("ca.pem", t.tls_ca_file), ("cert.pem", t.tls_client_cert), ("key.pem", t.tls_client_key)):',
    '    fd = os.open(os.path.join(sys.argv[1], name), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)',
    '    with os.fdopen(fd, "w") as f:',
    '        f.write(value)'
  ].join('\n');
  await execa(PYTHON, ['-c', write, tls]);
});

afterAll(() => {
  rmSync(tls, { recursive: true, force: true });
  rmSync(shared, { recursive: true, force: true });
});

const CASES: [string, Record<string, unknown>, (string | RegExp)[]][] = [
  [
    'dask_jobqueue.PBSCluster',
    { queue: 'workq', account: 'proj01', walltime: '01:00:00', job_extra_directives: ['-l place=scatter'] },
    [
      '#!/usr/bin/env bash',
      '#PBS -N dask-worker',
      '#PBS -q workq',
      '#PBS -A proj01',
      '#PBS -l select=1:ncpus=8:mem=27GB',
      '#PBS -l walltime=01:00:00',
      '#PBS -l place=scatter'
    ]
  ],
  [
    'dask_jobqueue.LSFCluster',
    {
      queue: 'short',
      project: 'proj01',
      walltime: '01:00',
      lsf_units: 'mb',
      job_extra_directives: ['-R "select[mem>4000]"']
    },
    [
      '#BSUB -J dask-worker',
      '#BSUB -q short',
      '#BSUB -P "proj01"',
      '#BSUB -n 8',
      '#BSUB -R "span[hosts=1]"',
      '#BSUB -M 28000',
      '#BSUB -W 01:00',
      '#BSUB -R "select[mem>4000]"'
    ]
  ],
  [
    'dask_jobqueue.HTCondorCluster',
    // No queue, walltime or account: HTCondor has none (see the test below); limits are policies.
    { disk: '1GB', job_extra_directives: { Requirements: '(OpSys == "LINUX")', allowed_job_duration: '3600' } },
    [
      '#!/usr/bin/env condor_submit',
      'RequestCpus = MY.DaskWorkerCores',
      'RequestMemory = floor(MY.DaskWorkerMemory / 1048576)',
      'MY.DaskWorkerCores = 8',
      'MY.DaskWorkerMemory = 28000000000',
      'MY.DaskWorkerDisk = 1000000000',
      'Requirements = (OpSys == "LINUX")',
      'allowed_job_duration = 3600',
      'Executable = /bin/sh',
      /^Arguments = "-c 'export X=1; .*'"$/m,
      /\nQueue\n*$/
    ]
  ],
  [
    'dask_jobqueue.SGECluster',
    {
      queue: 'long.q',
      project: 'proj01',
      walltime: '01:00:00',
      resource_spec: 'h_vmem=14G',
      job_extra_directives: ['-pe smp 8']
    },
    ['#$ -N dask-worker', '#$ -q long.q', '#$ -P proj01', '#$ -l h_vmem=14G', '#$ -l h_rt=01:00:00', '#$ -pe smp 8']
  ],
  [
    'dask_jobqueue.SLURMCluster',
    { queue: 'debug', account: 'proj01', walltime: '01:00:00', job_extra_directives: ['--exclusive'] },
    ['#SBATCH -J dask-worker', '#SBATCH -p debug', '#SBATCH -A proj01', '#SBATCH -t 01:00:00', '#SBATCH --exclusive']
  ]
];

describe('runner.py job-script', () => {
  it.each(CASES)("renders %s's job script with its directives", async (clusterClass, kwargs, directives) => {
    const rendered = await script(clusterClass, kwargs);
    for (const directive of directives) {
      if (typeof directive === 'string') {
        expect(rendered).toContain(directive);
      } else {
        expect(rendered).toMatch(directive);
      }
    }
    // The prologue, then the worker with its extra arguments and TLS files.
    expect(rendered).toMatch(/^export X=1$|'export X=1; /m);
    expect(rendered).toContain('-m distributed.cli.dask_worker tls://');
    expect(rendered).toContain('--nworkers 2');
    expect(rendered).toContain('--lifetime 55m --lifetime-stagger 4m');
    expect(rendered).toContain(`--tls-ca-file ${path.join(tls, 'ca.pem')}`);
    expect(rendered).toContain(`--tls-cert ${path.join(tls, 'cert.pem')}`);
    expect(rendered).toContain(`--tls-key ${path.join(tls, 'key.pem')}`);
    // Nothing of what only the cluster takes.
    for (const clusterOnly of [shared, '48786', '48787', 'silence', 'n_workers', 'scheduler_options', 'security']) {
      expect(rendered).not.toContain(clusterOnly);
    }
  });

  it('puts the prologue before the worker command in shell scripts', async () => {
    const rendered = await script('dask_jobqueue.SGECluster', { queue: 'long.q', walltime: '01:00:00' });
    const lines = rendered.split('\n');
    const prologue = lines.indexOf('export X=1');
    expect(prologue).toBeGreaterThan(lines.findLastIndex(line => line.startsWith('#$')));
    expect(lines.findIndex(line => line.includes('distributed.cli.dask_worker'))).toBe(prologue + 1);
  });

  it.each(['queue', 'walltime', 'account'])(
    "fails for HTCondorCluster given %s, which HTCondor's job class does not take",
    async name => {
      const result = await render('dask_jobqueue.HTCondorCluster', { disk: '1GB', [name]: 'x' });
      expect(result.exitCode).not.toBe(0);
      expect(String(result.stderr)).toContain(`Job.__init__() got an unexpected keyword argument '${name}'`);
    }
  );
});

const fixture = (system: string, name: string) =>
  readFileSync(
    path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'batch', system, name),
    'utf8'
  );

/** The test environment, with dask-jobqueue. */
const ENVIRONMENT: IEnvironmentInfo = {
  python: PYTHON,
  label: 'test',
  kernelspecs: [],
  usable: true,
  probe: { pythonVersion: '3', packages: { distributed: '1', dask_jobqueue: '0.9.0' }, config: {}, sitePaths: [] }
};

const idle = { jobs: async () => [], cancel: async () => undefined, missing: () => undefined };

/** Each new type with fake queue commands (the fixtures) and the real runner, and options and what its preview must hold. */
const TYPES: [string, () => ITypeDefinition, Record<string, unknown>, string[]][] = [
  [
    'pbs',
    () =>
      pbsDefinition({
        commands: {
          ...idle,
          named: async () => [],
          foreign: () => undefined,
          queues: async () => parsePbsQueues(fixture('pbs', 'qstat-Q-f-F-json.txt'))
        },
        logDirectory: '/shared/pbs/logs',
        intervalMs: 1000
      }),
    { queue: 'batch', account: 'geo42', walltime: '01:00:00', cores: 4, memory: '8 GiB' },
    [
      '#PBS -N dask-worker-<cluster-id>',
      '#PBS -q batch',
      '#PBS -A geo42',
      // dask-jobqueue's pbs_format_bytes_ceil: 8 GiB as PBS reads it.
      '#PBS -l select=1:ncpus=4:mem=8192MB',
      '#PBS -l walltime=01:00:00',
      '#PBS -o /shared/pbs/logs/',
      '#PBS -l place=scatter'
    ]
  ],
  [
    'lsf',
    () =>
      lsfDefinition({
        commands: { ...idle, queues: async () => parseBqueuesLong(fixture('lsf', 'bqueues-l.txt')) },
        logDirectory: '/shared/lsf/logs',
        intervalMs: 1000
      }),
    { queue: 'short', project: 'geo42', walltime: '01:00', cores: 4, memory: '8 GiB', ncpus: 8 },
    [
      '#BSUB -J dask-worker-<cluster-id>',
      '#BSUB -q short',
      '#BSUB -P "geo42"',
      '#BSUB -n 8',
      '#BSUB -R "span[hosts=1]"',
      '#BSUB -M ',
      '#BSUB -W 01:00',
      '#BSUB -R "select[mem>4000]"'
    ]
  ],
  [
    'htcondor',
    () => htcondorDefinition({ commands: idle, logDirectory: '/shared/htcondor/logs', intervalMs: 1000 }),
    { cores: 2, memory: '4 GiB', disk: '2 GiB' },
    [
      'batch_name = dask-worker-<cluster-id>',
      'MY.DaskWorkerCores = 2',
      'MY.DaskWorkerDisk = 2147483648',
      'LogDirectory = /shared/htcondor/logs',
      'requirements = (OpSys == "LINUX")',
      'allowed_job_duration = 3600'
    ]
  ]
];

describe("the new batch types' previews", () => {
  it.each(TYPES)(
    "%s: the definition's arguments go through real dask-jobqueue, with TLS, the variables and the lifetime",
    async (type, make, options, directives) => {
      const backend = definedBackend(make(), {
        environments: async () => [ENVIRONMENT],
        serverPython: PYTHON,
        securityBase: tls,
        runRunner: (python, args, input) => runRunnerJson(python, RUNNER, args, input)
      });
      const extra = {
        pbs: '-l place=scatter',
        lsf: '-R "select[mem>4000]"',
        htcondor: 'requirements = (OpSys == "LINUX")\nallowed_job_duration = 3600'
      }[type];
      const previewed = await backend.preview!({
        type,
        options: { ...options, environment: PYTHON, worker_env: "A=1 2\nB=it's", job_extra_directives: extra }
      });
      if ('fields' in previewed) {
        throw new Error(JSON.stringify(previewed.fields));
      }
      const script = previewed.script;
      for (const directive of directives) {
        expect(script).toContain(directive);
      }
      expect(script).toContain('-m distributed.cli.dask_worker tls://');
      expect(script).toContain('--lifetime 3240s --lifetime-stagger 180s');
      expect(script).toContain(`--tls-ca-file ${path.join(tls, '<cluster-id>', 'ca.pem')}`);
      expect(script).toContain('--no-dashboard --dashboard-address 127.0.0.1:0');
      // The variables first: export lines, or (HTCondor) the start of the shell's command.
      expect(script).toMatch(type === 'htcondor' ? /^Arguments = "-c '+export A='+1 2'+; /m : /^export A='1 2'$/m);
      for (const clusterOnly of ['48786', 'silence', 'n_workers', 'scheduler_options']) {
        expect(script).not.toContain(clusterOnly);
      }
    }
  );
});
