/** HTCondor: jobs from `condor_q -json`, idle reasons from `-better-analyze`, samples in the documented format. */

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { htcondorJobsCommand, parseBetterAnalyze, parseCondorQ } from '../../src/backends/jobqueue/htcondor.js';
import { withReasons } from '../../src/backends/jobqueue/parse.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const sample = (name: string) => readFileSync(path.join(here, '..', 'fixtures', 'batch', 'htcondor', name), 'utf8');

describe('HTCondor jobs (condor_q -json)', () => {
  const jobs = parseCondorQ(sample('condor_q-json.txt'));

  it('shows a running job with the host of its slot and when AllowedJobDuration ends it', () => {
    expect(jobs[0]).toEqual({
      id: '9150.0',
      state: 'R',
      phase: 'running',
      node: 'wn031.pool.test',
      startedAt: new Date(1733140200 * 1000).toISOString(),
      endsAt: new Date((1733140200 + 3600) * 1000).toISOString(),
      name: 'HTCondorCluster-0'
    });
  });

  it("shows an idle job with the negotiator's LastRejMatchReason", () => {
    expect(jobs[1]).toEqual({
      id: '9151.0',
      state: 'I',
      phase: 'pending',
      reason: 'no match found',
      name: 'HTCondorCluster-1'
    });
  });

  it('shows a held job as pending and held, with HoldReason and its code', () => {
    expect(jobs[2]).toMatchObject({
      id: '9152.0',
      state: 'H',
      phase: 'pending',
      held: true,
      reason: 'The job exceeded allowed job duration of 1:00:00 (hold code 46)'
    });
    expect(jobs[2].node).toBeUndefined();
  });

  it('takes the reason of an idle job without one from -better-analyze', () => {
    const reason = parseBetterAnalyze(sample('condor_q-better-analyze.txt'));
    expect(reason).toBe("No machines matched the job's constraints");
    const [, , , idle] = withReasons(jobs, new Map([['9153.0', reason ?? '']]));
    expect(idle).toMatchObject({ id: '9153.0', state: 'I', phase: 'pending', reason });
  });

  it('sums up -better-analyze without a warning', () => {
    const text = "9153.000:  Run analysis summary.  Of 12 machines,\n     3 are rejected by your job's requirements\n";
    expect(parseBetterAnalyze(text)).toBe("3 of 12 machines are rejected by the job's requirements");
    expect(parseBetterAnalyze('nothing to say')).toBeUndefined();
  });

  it.each([
    [3, { state: 'X', phase: 'ending' }],
    [4, { state: 'C', phase: 'ended' }],
    [6, { state: '>', phase: 'ending' }],
    [7, { state: 'S', phase: 'running', suspended: true }],
    [9, { state: '9', phase: 'unknown' }]
  ])('maps JobStatus %s', (status, expected) => {
    expect(parseCondorQ(JSON.stringify([{ ClusterId: 5, ProcId: 1, JobStatus: status }]))[0]).toMatchObject({
      id: '5.1',
      ...expected
    });
  });

  it('has no jobs when condor_q prints nothing (it prints no [] then)', () => {
    expect(parseCondorQ('')).toEqual([]);
    expect(parseCondorQ('\n')).toEqual([]);
  });

  it('asks for the attributes it reads', () => {
    expect(htcondorJobsCommand(['9150.0']).slice(0, 4)).toEqual(['condor_q', '9150.0', '-json', '-attributes']);
  });
});

describe('unreadable HTCondor output', () => {
  it('says when condor_q printed no JSON, and which versions can', () => {
    expect(() => parseCondorQ('-- Schedd: submit02 : <192.0.2.10:9618>\n ID OWNER SUBMITTED')).toThrow(
      /`condor_q -json`: it is not JSON .*since HTCondor 8\.5\.6/
    );
  });

  it('says when the JSON is not a list of ads', () => {
    expect(() => parseCondorQ('{"ClusterId": 1}')).toThrow(/not the array of job ads condor_q prints/);
  });
});
