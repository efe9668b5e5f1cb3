/** Pure parts of the SLURM backend: times, lifetimes, sinfo/squeue parsing, partition limits. */

import { mergeQueue } from '../../src/backends/slurm/jobs.js';
import { parsePartitions, parseSqueue, partitionProblem } from '../../src/backends/slurm/queries.js';
import { partitionErrors } from '../../src/backends/slurm/hooks.js';
import { formatSlurmTime, lifetimeArgs, parseSlurmTime, workerLifetime } from '../../src/backends/slurm/walltime.js';

const NODES = { nodes: [{ name: 'n1', cpus: 2, real_memory: 24105, state: 'idle', partitions: ['debug', 'short'] }] };

describe('SLURM times', () => {
  it.each([
    ['30', 1800],
    ['5:00', 300],
    ['00:05:00', 300],
    ['1-00:00:00', 86400],
    ['2-12', 216000],
    ['infinite', Infinity],
    ['soon', undefined],
    ['1:2:3:4', undefined]
  ])('parses %s', (text, seconds) => expect(parseSlurmTime(text)).toBe(seconds));

  it('formats seconds as HH:MM:SS', () => expect(formatSlurmTime(90061)).toBe('25:01:01'));

  it('retires workers before the walltime, staggered', () => {
    expect(workerLifetime(300)).toEqual({ lifetime: 240, stagger: 30 });
    expect(workerLifetime(3600)).toEqual({ lifetime: 3240, stagger: 180 });
    expect(workerLifetime(86400)).toEqual({ lifetime: 85800, stagger: 300 });
    expect(workerLifetime(60)).toEqual({ lifetime: 30, stagger: 15 });
    expect(lifetimeArgs(300)).toEqual(['--lifetime', '240s', '--lifetime-stagger', '30s']);
    for (const walltime of [60, 300, 1800, 7200, 86400]) {
      const { lifetime, stagger } = workerLifetime(walltime);
      expect(lifetime + stagger).toBeLessThan(walltime);
    }
  });
});

describe('sinfo and squeue', () => {
  const partitions = parsePartitions('debug*|infinite|up\nshort|5:00|up\nold|1:00:00|down\n', NODES);

  it('reads partitions with limits, node sizes and state', () => {
    expect(partitions[0]).toMatchObject({
      name: 'debug',
      isDefault: true,
      maxTime: Infinity,
      cpusPerNode: 2,
      memoryPerNode: 24105 * 2 ** 20,
      state: 'up',
      nodeStates: ['idle']
    });
    expect(partitions[1]).toMatchObject({ name: 'short', isDefault: false, maxTime: 300 });
    expect(partitionProblem(partitions[2])).toBe('Partition old is down');
    expect(partitionProblem(partitions[0])).toBeUndefined();
  });

  it('checks walltime, cores, memory and state against the partition', () => {
    const errors = partitionErrors(
      { partition: 'short', walltime: '00:10:00', cores: 4, memory: '100 GiB' },
      partitions
    );
    expect(errors.map(e => e.path)).toEqual(['/walltime', '/cores', '/memory']);
    expect(errors[0].message).toContain('choose partition debug');
    expect(partitionErrors({ partition: 'old', walltime: '00:10:00' }, partitions)[0]).toMatchObject({
      path: '/partition'
    });
    expect(
      partitionErrors({ partition: 'short', walltime: '00:05:00', cores: 2, memory: '1 GiB' }, partitions)
    ).toEqual([]);
  });

  it('reads jobs: state, reason, node, end, log files', () => {
    const jobs = parseSqueue({
      jobs: [
        {
          job_id: 7,
          name: 'w-1',
          job_state: 'RUNNING',
          state_reason: 'None',
          nodes: 'n1',
          end_time: 1_800_000_000,
          standard_output: '/logs/w-%j.out',
          standard_error: '/logs/w-%j.err'
        },
        { job_id: 8, name: 'w-1', job_state: 'PENDING', state_reason: 'Resources', nodes: '', end_time: 0 }
      ]
    });
    expect(jobs[0]).toEqual({
      id: '7',
      name: 'w-1',
      state: 'RUNNING',
      node: 'n1',
      endsAt: new Date(1_800_000_000_000).toISOString(),
      stdout: '/logs/w-7.out',
      stderr: '/logs/w-7.err'
    });
    expect(jobs[1]).toEqual({ id: '8', name: 'w-1', state: 'PENDING', reason: 'Resources' });
    const current = [{ id: '7', state: 'SUBMITTED' }];
    const merged = mergeQueue(current, new Map(jobs.map(job => [job.id, job])));
    expect(merged).toEqual([{ id: '7', state: 'RUNNING', node: 'n1', endsAt: jobs[0].endsAt }]);
    expect(mergeQueue(merged, new Map(jobs.map(job => [job.id, job])))).toBe(merged);
  });
});
