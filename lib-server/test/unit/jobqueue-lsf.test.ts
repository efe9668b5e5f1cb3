/** IBM Spectrum LSF: jobs from `bjobs -o ... -json` and queues from `bqueues -l`, samples in the documented format. */

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { lsfJobsCommand, parseBjobs, parseBqueuesLong } from '../../src/backends/jobqueue/lsf.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const sample = (name: string) => readFileSync(path.join(here, '..', 'fixtures', 'batch', 'lsf', name), 'utf8');
const NOW = new Date('2024-12-02T13:00:00Z');

describe('LSF jobs (bjobs -json)', () => {
  const jobs = parseBjobs(sample('bjobs-json-noise.txt'), NOW);

  it('reads past the noise before the JSON and leaves out ids LSF does not know', () => {
    expect(jobs.map(job => job.id)).toEqual(['88301', '88302', '88303']);
  });

  it('shows a running job with its host and when its run limit ends', () => {
    expect(jobs[0]).toEqual({
      id: '88301',
      state: 'RUN',
      phase: 'running',
      node: 'hpc-n112',
      // 600 s of RUN_TIME before NOW, RUNTIMELIMIT 60.0 minutes.
      startedAt: '2024-12-02T12:50:00.000Z',
      endsAt: '2024-12-02T13:50:00.000Z',
      queue: 'short',
      name: 'dask-worker'
    });
  });

  it('shows why a pending job waits, without the trailing ;', () => {
    expect(jobs[1]).toMatchObject({
      id: '88302',
      state: 'PEND',
      phase: 'pending',
      reason: 'Job dependency condition not satisfied'
    });
    expect(jobs[1].node).toBeUndefined();
    expect(jobs[1].endsAt).toBeUndefined();
  });

  it('shows a job suspended while pending as held', () => {
    expect(jobs[2]).toMatchObject({
      state: 'PSUSP',
      phase: 'pending',
      held: true,
      reason: 'Job was suspended by the user while pending'
    });
  });

  it('reads the -hms forms and the compressed N*host', () => {
    expect(parseBjobs(sample('bjobs-json-hms.txt'), NOW)[0]).toMatchObject({
      node: 'hpc-n007',
      startedAt: '2024-12-02T12:45:00.000Z',
      endsAt: '2024-12-02T13:45:00.000Z'
    });
  });

  it.each([
    ['WAIT', { phase: 'pending' }],
    ['USUSP', { phase: 'running', suspended: true }],
    ['SSUSP', { phase: 'running', suspended: true }],
    ['ZOMBI', { phase: 'ending' }],
    ['DONE', { phase: 'ended' }],
    ['EXIT', { phase: 'ended' }],
    ['UNKWN', { phase: 'unknown' }]
  ])('maps STAT %s', (stat, expected) => {
    const output = JSON.stringify({ COMMAND: 'bjobs', JOBS: 1, RECORDS: [{ JOBID: '7', STAT: stat }] });
    expect(parseBjobs(output, NOW)[0]).toMatchObject({ id: '7', state: stat, ...expected });
  });

  it('asks for the fields it reads, as JSON', () => {
    expect(lsfJobsCommand(['88301'])).toEqual([
      'bjobs',
      '-o',
      'jobid stat queue job_name exec_host pend_reason run_time runtimelimit',
      '-json',
      '88301'
    ]);
  });

  it('has no jobs when bjobs finds none', () => {
    expect(parseBjobs('No unfinished job found\n', NOW)).toEqual([]);
  });
});

describe('LSF queues (bqueues -l)', () => {
  it('shows the status and the run limits of each queue', () => {
    expect(parseBqueuesLong(sample('bqueues-l.txt'))).toEqual([
      {
        name: 'short',
        state: 'Open:Active',
        limits: { walltime: 7200, walltimeText: '120.0 min', defaultWalltime: 1800 }
      },
      { name: 'night', state: 'Open:Inact', limits: { walltime: 86400, walltimeText: '1440.0 min' } }
    ]);
  });

  it('reads RUNLIMIT from its column when a section has several limits', () => {
    const output = [
      'QUEUE: wide',
      '',
      'MAXIMUM LIMITS:',
      ' CPULIMIT                RUNLIMIT',
      ' 20.0 min                360.0 min',
      ''
    ].join('\n');
    expect(parseBqueuesLong(output)[0].limits).toEqual({ walltime: 21600, walltimeText: '360.0 min' });
  });
});

describe('unreadable LSF output', () => {
  it('says when bjobs printed no JSON, and which versions can', () => {
    expect(() => parseBjobs('bjobs: illegal option -- json\nUsage: bjobs [-h] ...', NOW)).toThrow(
      /`bjobs -o \.\.\. -json`: it holds no JSON object; `bjobs -json` needs LSF 10\.1 Fix Pack 2 or later/
    );
  });

  it('says when the JSON is cut off or not a bjobs answer', () => {
    expect(() => parseBjobs('{"COMMAND":"bjobs","RECORDS":[{"JOBID":"1"}', NOW)).toThrow(/it is not JSON/);
    expect(() => parseBjobs('{"COMMAND":"bhosts","HOSTS":1}', NOW)).toThrow(/it has no "RECORDS" list/);
  });

  it('says when bqueues printed no queue', () => {
    expect(() => parseBqueuesLong('long: No such queue\n')).toThrow(
      /`bqueues -l`: it has no "QUEUE: <name>" line.*It printed: "long: No such queue"/
    );
  });
});
