/** Grid Engine: jobs from `qstat -xml`, reasons from `qstat -j`, queues from `qconf -sq`, samples in the documented format. */

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { withReasons } from '../../src/backends/jobqueue/parse.js';
import {
  parseQacct,
  parseQconfSq,
  parseQstatJ,
  parseQstatXml,
  parseSgeMemory,
  sgeEnd,
  sgeWhyCommand
} from '../../src/backends/jobqueue/sge.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const sample = (name: string) => readFileSync(path.join(here, '..', 'fixtures', 'batch', 'sge', name), 'utf8');

describe('Grid Engine jobs (qstat -xml)', () => {
  const jobs = parseQstatXml(sample('qstat-xml.xml'));
  const byId = new Map(jobs.map(job => [job.id, job]));

  it('reads running and pending jobs', () => {
    expect(jobs.map(job => `${job.id} ${job.state}`)).toEqual(['731 r', '735 dr', '732 qw', '733 hqw', '734 Eqw']);
  });

  it('shows a running job with the host of queue@host', () => {
    expect(byId.get('731')).toEqual({
      id: '731',
      state: 'r',
      phase: 'running',
      node: 'exec03.grid.test',
      // The qmaster's local time, like this process's.
      startedAt: new Date('2024-12-02T12:50:00').toISOString(),
      queue: 'long.q',
      name: 'dask-worker'
    });
  });

  it('shows held, error and deleted jobs for what they are', () => {
    expect(byId.get('732')).toEqual({ id: '732', state: 'qw', phase: 'pending', name: 'dask-worker' });
    expect(byId.get('733')).toMatchObject({ phase: 'pending', held: true });
    expect(byId.get('734')).toMatchObject({ phase: 'pending', held: true, name: 'dask&co' });
    expect(byId.get('735')).toMatchObject({ phase: 'ending', queue: 'long.q' });
  });

  it('shows why jobs wait, from the scheduling info and error reason of qstat -j', () => {
    const reasons = parseQstatJ(sample('qstat-j.txt'));
    expect(reasons).toEqual(
      new Map([
        [
          '732',
          'queue instance "long.q@exec03.grid.test" dropped because it is full; ' +
            '(-l h_rt=7200) cannot run in queue "short.q" because of cluster queue'
        ],
        ['734', "12/02/2024 12:59:01 [1001:20817]: error: can't chdir to /scratch/gone: No such file or directory"]
      ])
    );
    const merged = new Map(withReasons(jobs, reasons).map(job => [job.id, job]));
    expect(merged.get('732')?.reason).toMatch(/^queue instance "long.q@exec03.grid.test" dropped because it is full/);
    expect(merged.get('734')?.reason).toMatch(/can't chdir to \/scratch\/gone/);
    expect(merged.get('731')?.reason).toBeUndefined();
    expect(sgeWhyCommand(['732', '734'])).toEqual(['qstat', '-j', '732,734']);
  });

  it('has no reasons for jobs that do not exist, and no jobs in an empty listing', () => {
    expect(parseQstatJ('Following jobs do not exist: \n99999\n')).toEqual(new Map());
    expect(parseQstatXml(sample('qstat-xml-none.xml'))).toEqual([]);
  });

  it.each([
    ['t', { phase: 'running' }],
    ['Rr', { phase: 'running' }],
    ['s', { phase: 'running', suspended: true }],
    ['S', { phase: 'running', suspended: true }],
    ['dt', { phase: 'ending' }],
    ['hRwq', { phase: 'pending', held: true }],
    ['w', { phase: 'pending' }],
    ['?', { phase: 'unknown' }]
  ])('maps state %s', (state, expected) => {
    const output = `<job_info><queue_info><job_list state="x"><JB_job_number>9</JB_job_number><state>${state}</state></job_list></queue_info></job_info>`;
    expect(parseQstatXml(output)[0]).toMatchObject({ id: '9', state, ...expected });
  });
});

describe('Grid Engine queues (qconf -sq)', () => {
  it('shows h_rt, the largest slots (over a continued line) and h_vmem', () => {
    expect(parseQconfSq(sample('qconf-sq-long.q.txt'))).toEqual({
      name: 'long.q',
      limits: { walltime: 72 * 3600, walltimeText: '72:00:00', slots: 32, memory: 64 * 2 ** 30 }
    });
  });

  it('shows an unlimited queue as Infinity', () => {
    expect(parseQconfSq(sample('qconf-sq-short.q.txt'))).toEqual({
      name: 'short.q',
      limits: { walltime: Infinity, walltimeText: 'INFINITY', slots: 2, memory: Infinity }
    });
  });

  it.each([
    ['4G', 4 * 2 ** 30],
    ['4g', 4e9],
    ['512M', 512 * 2 ** 20],
    ['1.5K', 1536],
    ['1000', 1000],
    ['INFINITY', Infinity],
    ['lots', undefined]
  ])('reads the memory %s', (value, bytes) => expect(parseSgeMemory(value)).toBe(bytes));
});

describe('unreadable Grid Engine output', () => {
  it("says when qstat printed no qstat -xml (another system's qstat)", () => {
    expect(() => parseQstatXml('qstat: invalid option -- x')).toThrow(
      /`qstat -xml`: it has no <job_info> element: is this the qstat of Grid Engine/
    );
  });

  it('says when the XML was cut off', () => {
    expect(() => parseQstatXml(sample('qstat-xml.xml').slice(0, 400))).toThrow(/ends before its closing <\/job_info>/);
  });

  it('says when qstat -j or qconf -sq printed something else', () => {
    expect(() => parseQstatJ('error: commlib error: got select error (Connection refused)')).toThrow(
      /`qstat -j`: it has no "job_number:" line/
    );
    expect(() => parseQconfSq('No cluster queue or queue instance matches the phrase "nope"')).toThrow(
      /`qconf -sq`: it has no "qname" line; `qconf -sql` lists the cluster queues/
    );
  });
});

describe('how Grid Engine jobs ended (qacct -j)', () => {
  const records = parseQacct(sample('qacct-j.txt'));

  it('reads failed and exit_status of each job, the last run of a job run twice', () => {
    expect(records).toEqual(
      new Map([
        ['261', { failed: 100, failedText: 'assumedly after job', exitStatus: 137 }],
        ['262', { failed: 0, failedText: '', exitStatus: 1 }]
      ])
    );
    expect(parseQacct('error: job id 999 not found\n')).toEqual(new Map());
  });

  it('says in words why each ended, with qacct’s own terms after', () => {
    expect(sgeEnd(records.get('261')!)).toEqual({
      state: 'KILLED',
      reason:
        'deleted outside JupyterLab (qdel) or killed by SIGKILL ' +
        '(qacct: failed 100 (assumedly after job), exit status 137)'
    });
    expect(
      sgeEnd({ failed: 37, failedText: 'qmaster enforced h_rt, h_cpu, or h_vmem limit', exitStatus: 137 })
    ).toEqual({
      state: 'LIMIT',
      reason:
        'stopped by Grid Engine at its h_rt, h_cpu or h_vmem limit ' +
        '(qacct: failed 37 (qmaster enforced h_rt, h_cpu, or h_vmem limit), exit status 137)'
    });
    expect(sgeEnd(records.get('262')!)).toEqual({
      state: 'FAILED',
      reason: 'its worker exited with status 1 (qacct: failed 0, exit status 1)'
    });
    expect(sgeEnd({ failed: 0, failedText: '', exitStatus: 0 }).state).toBe('ENDED');
    expect(sgeEnd({ failed: 26, failedText: 'opening input/output file', exitStatus: 0 })).toEqual({
      state: 'FAILED',
      reason: 'Grid Engine could not run it to its end (qacct: failed 26 (opening input/output file), exit status 0)'
    });
  });
});
