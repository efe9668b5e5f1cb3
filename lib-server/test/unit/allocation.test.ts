import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { allocationEnd, allocationOf, clusterEnd } from '../../src/backends/local/allocation.js';
import { localBackend } from './fixtures.js';

const pbsJob = readFileSync(
  path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'batch', 'pbs', 'qstat-f-F-json.txt'),
  'utf8'
);

describe('the batch job JupyterLab runs inside', () => {
  it('is the SLURM job, else the PBS job, of the environment', () => {
    expect(allocationOf({ SLURM_JOB_ID: '77', PBS_JOBID: '5120.head01' })).toEqual({ system: 'SLURM', jobId: '77' });
    expect(allocationOf({ PBS_JOBID: '5120.head01' })).toEqual({ system: 'PBS', jobId: '5120.head01' });
    expect(allocationOf({ SLURM_JOB_ID: ' ' })).toBeUndefined();
  });

  it("ends when squeue's time left says, and never when it is unlimited or unreadable", async () => {
    const asked: string[][] = [];
    const end = await allocationEnd(
      { system: 'SLURM', jobId: '77' },
      async command => (asked.push(command), '1:02:03\n'),
      () => 1_000_000
    );
    expect(asked).toEqual([['squeue', '--noheader', '--jobs', '77', '--format', '%L']]);
    expect(end?.getTime()).toBe(1_000_000 + 3723 * 1000);
    expect(await allocationEnd({ system: 'SLURM', jobId: '77' }, async () => 'UNLIMITED')).toBeUndefined();
    const gone = async () => Promise.reject(new Error('squeue: Invalid job id specified'));
    expect(await allocationEnd({ system: 'SLURM', jobId: '77' }, gone)).toBeUndefined();
  });

  it('ends at its walltime less what it has run, as qstat -f -F json of PBS says', async () => {
    const asked: string[][] = [];
    const end = await allocationEnd({ system: 'PBS', jobId: '5120.head01' }, async command => {
      asked.push(command);
      return pbsJob;
    });
    expect(asked).toEqual([['qstat', '-f', '-F', 'json', '5120.head01']]);
    // The output's timestamp 12:00, 10 minutes run of 1 hour.
    expect(end?.toISOString()).toBe('2024-12-02T12:50:00.000Z');
  });

  it('leaves a local cluster a minute to close, or a quarter of what is left when that is less', () => {
    const now = Date.parse('2026-12-02T10:00:00Z');
    expect(clusterEnd(new Date(now + 3_600_000), now).toISOString()).toBe('2026-12-02T10:59:00.000Z');
    expect(clusterEnd(new Date(now + 40_000), now).toISOString()).toBe('2026-12-02T10:00:30.000Z');
  });
});

describe('the local type inside a batch job', () => {
  const inJob = (end: Date | undefined) =>
    localBackend({ allocation: { job: { system: 'PBS', jobId: '5120.head01' }, end: async () => end } });

  it('says so, and until when', async () => {
    const type = await inJob(new Date(Date.now() + 65 * 60_000)).describe({});
    expect(type.description).toBe(
      'Scheduler and workers inside PBS job 5120.head01 on this node (8 CPUs, 32 GiB); ' +
        "the cluster stops before the job's walltime ends, in 1 h 5 min."
    );
    expect((await inJob(undefined).describe({})).description).toMatch(/its walltime could not be read/);
  });

  it('plans clusters that end a minute before the job', async () => {
    const end = new Date(Date.now() + 3_600_000);
    const result = await inJob(end).plan({ type: 'local', options: { workers: 1 } }, 'c0ffee00');
    expect('plan' in result && result.plan.endsAt).toEqual({
      at: new Date(end.getTime() - 60_000).toISOString(),
      why: 'the walltime of PBS job 5120.head01 ends',
      reason: 'Stopped before the walltime of PBS job 5120.head01 ends.'
    });
    const outside = await localBackend().plan({ type: 'local', options: { workers: 1 } }, 'c0ffee00');
    expect('plan' in outside && outside.plan.endsAt).toBeUndefined();
  });
});
