/** Helpers shared by the batch-system parsers: walltimes, JSON errors, hosts, merging reasons. */

import {
  BatchOutputError,
  afterAt,
  excerpt,
  parseDuration,
  parseJson,
  withReasons
} from '../../src/backends/jobqueue/parse.js';
import type { IBatchJob } from '../../src/backends/jobqueue/types.js';

describe('walltimes', () => {
  it.each([
    ['01:00:00', 3600],
    ['48:00:00', 172800],
    ['00:00:60', 60],
    ['10:00', 600],
    ['1800', 1800],
    ['00:30:00.5', 1800.5],
    ['INFINITY', Infinity],
    ['unlimited', Infinity],
    ['infinite', Infinity],
    ['', undefined],
    ['soon', undefined],
    ['1:2:3:4', undefined],
    ['1.5:00', undefined]
  ])('reads %s as %s seconds', (value, seconds) => expect(parseDuration(value)).toBe(seconds));

  it("reads two parts as LSF's hours:minutes when told", () => {
    expect(parseDuration('10:00', 'hours:minutes')).toBe(36000);
    expect(parseDuration('00:30', 'hours:minutes')).toBe(1800);
  });

  it('takes JSON numbers as seconds', () => {
    expect(parseDuration(3600)).toBe(3600);
    expect(parseDuration(-1)).toBeUndefined();
  });
});

describe('unreadable output', () => {
  it('names the command, what is wrong and what it printed', () => {
    let error: unknown;
    try {
      parseJson('qstat: illegal option -- F', 'qstat -f -F json', 'check the version');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(BatchOutputError);
    expect((error as BatchOutputError).command).toBe('qstat -f -F json');
    expect((error as Error).message).toMatch(
      /^Cannot read the output of `qstat -f -F json`: it is not JSON \(.+\); check the version\. It printed: "qstat: illegal option -- F"$/
    );
  });

  it('quotes at most the beginning of long output, on one line', () => {
    expect(excerpt('a\n  b')).toBe('"a b"');
    expect(excerpt('x'.repeat(500))).toHaveLength(163);
    expect(excerpt('  \n')).toBe('(nothing)');
  });
});

describe('hosts and reasons', () => {
  it('takes the host after the last @', () => {
    expect(afterAt('slot1_3@exec07.example.org')).toBe('exec07.example.org');
    expect(afterAt('all.q@node01')).toBe('node01');
    expect(afterAt('all.q')).toBeUndefined();
    expect(afterAt('all.q@')).toBeUndefined();
  });

  it("fills in a second command's reasons for pending jobs only", () => {
    const jobs: IBatchJob[] = [
      { id: '1', state: 'qw', phase: 'pending' },
      { id: '2', state: 'r', phase: 'running', node: 'n1' },
      { id: '3', state: 'qw', phase: 'pending', reason: 'own' }
    ];
    const reasons = new Map([
      ['1', 'queue full'],
      ['2', 'stale'],
      ['3', 'other']
    ]);
    expect(withReasons(jobs, reasons).map(job => job.reason)).toEqual(['queue full', undefined, 'own']);
  });
});
