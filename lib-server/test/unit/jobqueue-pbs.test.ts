/** PBS Professional / OpenPBS: jobs and queues from `qstat -F json` samples in the documented format. */

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  parsePbsJobs,
  parsePbsQueues,
  parsePbsSize,
  pbsJobCommand,
  pbsJobId,
  pbsLogs,
  repairPbsJson
} from '../../src/backends/jobqueue/pbs.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const sample = (name: string) => readFileSync(path.join(here, '..', 'fixtures', 'batch', 'pbs', name), 'utf8');

describe('PBS jobs (qstat -f -F json)', () => {
  const jobs = parsePbsJobs(sample('qstat-f-F-json.txt'));

  it('shows a running job with its host and when its walltime ends', () => {
    expect(jobs[0]).toEqual({
      id: '5120',
      state: 'R',
      phase: 'running',
      node: 'cn017',
      // timestamp 1733140800 less 10 minutes of resources_used.walltime; plus the hour of Resource_List.
      startedAt: '2024-12-02T11:50:00.000Z',
      endsAt: '2024-12-02T12:50:00.000Z',
      queue: 'batch',
      name: 'dask-worker',
      logs: {
        stdout: '/scratch/bob/dask-logs/5120.head01.OU',
        stderr: '/scratch/bob/dask-logs/5120.head01.ER'
      }
    });
  });

  it('names the log files in a directory <job ID>.OU and .ER, and honours Join_Path (qsub(1B) -o, -e, -j)', () => {
    // 5121: dask-jobqueue's directories, -j oe; 5122: file names, -j eo.
    expect(jobs[1].logs).toEqual({
      stdout: '/scratch/bob/dask-logs/5121.head01.OU',
      stderr: '/scratch/bob/dask-logs/5121.head01.OU'
    });
    expect(jobs[2].logs).toEqual({ stdout: '/scratch/bob/worker.err', stderr: '/scratch/bob/worker.err' });
  });

  it.each([
    [
      'a file, not joined',
      { Output_Path: 'h:/l/w.out', Error_Path: 'h:/l/w.err' },
      { stdout: '/l/w.out', stderr: '/l/w.err' }
    ],
    ['no Join_Path (n is the default)', { Output_Path: 'h.example.org:/l/' }, { stdout: '/l/7[2].s.OU' }],
    ['a path without host', { Error_Path: '/l/', Join_Path: 'n' }, { stderr: '/l/7[2].s.ER' }],
    ['a host:relative path (relative to a home not known here)', { Output_Path: 'h:logs/' }, undefined],
    ['neither path', { Join_Path: 'oe' }, undefined]
  ])('resolves %s', (_what, attrs, expected) => {
    expect(pbsLogs('7[2].s', attrs)).toEqual(expected);
  });

  it("shows why a queued job waits: the scheduler's comment", () => {
    expect(jobs[1]).toMatchObject({
      id: '5121',
      state: 'Q',
      phase: 'pending',
      reason: 'Not Running: Insufficient amount of resource: ncpus (R: 4 A: 2 T: 128)'
    });
    expect(jobs[1].node).toBeUndefined();
    expect(jobs[1].endsAt).toBeUndefined();
  });

  it('shows a held job as pending and held, with the reason', () => {
    expect(jobs[2]).toMatchObject({
      id: '5122',
      state: 'H',
      phase: 'pending',
      held: true,
      reason: 'job held, too many failed attempts to run'
    });
  });

  it('has no jobs when the ids no longer exist (no "Jobs" key)', () => {
    expect(parsePbsJobs(sample('qstat-f-F-json-none.txt'))).toEqual([]);
  });

  it('reads the invalid JSON of older writers (openpbs#1255, PR #2049)', () => {
    expect(() => JSON.parse(sample('qstat-f-F-json-old-writer.txt'))).toThrow();
    expect(parsePbsJobs(sample('qstat-f-F-json-old-writer.txt'))).toEqual([
      {
        id: '5123',
        state: 'Q',
        phase: 'pending',
        reason: 'Not Running: Job would conflict with reservation or top job',
        queue: 'batch',
        name: 'dask-worker'
      }
    ]);
    expect(JSON.parse(repairPbsJson('{"a":007,"b":"x\\\'y","c":"00:05","d":[012],"e":"\\\\"}'))).toEqual({
      a: '007',
      b: "x'y",
      c: '00:05',
      d: ['012'],
      e: '\\'
    });
  });

  it.each([
    ['W', { phase: 'pending', reason: 'Waiting for its Execution_Time' }],
    ['S', { phase: 'running', suspended: true }],
    ['E', { phase: 'ending' }],
    ['F', { phase: 'ended' }],
    ['Z', { phase: 'unknown' }]
  ])('maps job_state %s', (state, expected) => {
    const output = JSON.stringify({ timestamp: 1, pbs_version: '23.06.06', Jobs: { '1.s': { job_state: state } } });
    expect(parsePbsJobs(output)[0]).toMatchObject({ id: '1', state, ...expected });
  });

  it('keeps the id dask-jobqueue keeps, and asks for one id per call (openpbs#2672)', () => {
    expect(pbsJobId('4711.pbs01.example.org')).toBe('4711');
    expect(pbsJobId('4711[3].pbs01')).toBe('4711[3]');
    expect(pbsJobCommand('4711')).toEqual(['qstat', '-f', '-F', 'json', '4711']);
  });
});

describe('PBS queues (qstat -Q -f -F json)', () => {
  it('shows the longest walltime, cores and memory a job may ask for', () => {
    expect(parsePbsQueues(sample('qstat-Q-f-F-json.txt'))).toEqual([
      {
        name: 'batch',
        state: 'enabled',
        limits: {
          walltime: 48 * 3600,
          walltimeText: '48:00:00',
          defaultWalltime: 3600,
          cores: 128,
          memory: 256 * 2 ** 30
        }
      },
      { name: 'debug', state: 'disabled', limits: { walltime: 1800, walltimeText: '00:30:00', cores: 8 } }
    ]);
  });

  it.each([
    ['27gb', 27 * 2 ** 30],
    ['28311552kb', 28311552 * 1024],
    ['512', 512],
    ['100w', 800],
    ['1TB', 2 ** 40],
    ['lots', undefined]
  ])('reads the size %s', (value, bytes) => expect(parsePbsSize(value)).toBe(bytes));
});

describe('unreadable PBS output', () => {
  it('says when qstat printed no JSON, and which versions can', () => {
    expect(() => parsePbsJobs("qstat: invalid option -- 'F'\nusage: qstat [-f] ...")).toThrow(
      /^Cannot read the output of `qstat -f -F json`: it is not JSON .*OpenPBS or PBS Professional 18\.1 or later.*It printed: "qstat: invalid option/
    );
  });

  it("says when the JSON is not PBS's", () => {
    expect(() => parsePbsQueues('{"queues": []}')).toThrow(/without "pbs_version": is this the qstat of PBS/);
    expect(() => parsePbsJobs('{"pbs_version": "23.06.06", "Jobs": [1]}')).toThrow(/its "Jobs" is not an object/);
  });
});
