/**
 * HTCondor (8.6 and later: `condor_q -json` came in 8.5.6). Jobs from
 * `condor_q <cluster.proc>... -json -attributes ...`; the reason an idle job
 * waits from `condor_q -better-analyze`. HTCondor has no queues: a run-time
 * limit is a policy (`allowed_job_duration`, `periodic_remove`) that goes
 * into the submit description. Pure.
 *
 * `condor_q -json` prints a JSON array, and nothing at all (not `[]`) when
 * no job matches: then every job asked about has left the queue.
 */

import { BatchOutputError, afterAt, batchJob, isoFromEpoch, numberOf, parseJson, text } from './parse.js';
import type { BatchJobPhase, IBatchJob } from './types.js';
import { isObject } from '../../util/objects.js';

/** The attributes these rows read. */
export const HTCONDOR_ATTRIBUTES = [
  'ClusterId',
  'ProcId',
  'JobStatus',
  'RemoteHost',
  'JobCurrentStartDate',
  'EnteredCurrentStatus',
  'HoldReason',
  'HoldReasonCode',
  'LastRejMatchReason',
  'AllowedJobDuration',
  'JobBatchName'
];

/** The status command of jobs `ids` (`4242.0`, as dask-jobqueue keeps them). */
export function htcondorJobsCommand(ids: string[]): string[] {
  return ['condor_q', ...ids, '-json', '-attributes', HTCONDOR_ATTRIBUTES.join(',')];
}

/**
 * `JobStatus` codes (job-status-codes.rst) -> the letter of condor_q's ST
 * column, phase, and whether held or suspended. 6 (Transferring Output) is
 * documented as not used.
 */
const STATUS: Record<number, [string, BatchJobPhase, ('held' | 'suspended')?]> = {
  1: ['I', 'pending'],
  2: ['R', 'running'],
  3: ['X', 'ending'],
  4: ['C', 'ended'],
  5: ['H', 'pending', 'held'],
  6: ['>', 'ending'],
  7: ['S', 'running', 'suspended']
};

const CONDOR_Q = 'condor_q -json';

function ads(output: string): Record<string, unknown>[] {
  if (output.trim() === '') {
    return [];
  }
  const json = parseJson(output, CONDOR_Q, 'condor_q prints a JSON array of job ads since HTCondor 8.5.6');
  if (!Array.isArray(json)) {
    throw new BatchOutputError(CONDOR_Q, 'it is JSON, but not the array of job ads condor_q prints', output);
  }
  return json.filter(isObject);
}

function reasonOf(status: number, ad: Record<string, unknown>): string {
  if (status === 5) {
    const code = numberOf(ad.HoldReasonCode);
    const reason = text(ad.HoldReason);
    return reason && code !== undefined ? `${reason} (hold code ${code})` : reason;
  }
  return status === 1 ? text(ad.LastRejMatchReason) : '';
}

function condorJob(ad: Record<string, unknown>): IBatchJob {
  const status = numberOf(ad.JobStatus) ?? 0;
  const [state, phase, flag] = STATUS[status] ?? [String(status), 'unknown'];
  const start = phase === 'running' ? numberOf(ad.JobCurrentStartDate) : undefined;
  const duration = numberOf(ad.AllowedJobDuration);
  return batchJob(`${text(ad.ClusterId)}.${text(ad.ProcId) || '0'}`, state, [phase, flag], {
    reason: reasonOf(status, ad),
    node: phase === 'running' ? afterAt(text(ad.RemoteHost)) : undefined,
    startedAt: isoFromEpoch(start),
    endsAt: start !== undefined && duration !== undefined ? isoFromEpoch(start + duration) : undefined,
    name: text(ad.JobBatchName)
  });
}

/**
 * Jobs of `condor_q -json`: id `ClusterId.ProcId`, condor_q's status
 * letter (I, R, X, C, H, >, S), phase, `HoldReason` (with its code) of a
 * held job, `LastRejMatchReason` of an idle one where the negotiator set
 * it, the host of `RemoteHost`, and when `AllowedJobDuration` ends a
 * running job. Empty output: no jobs.
 */
export function parseCondorQ(output: string): IBatchJob[] {
  return ads(output)
    .filter(ad => numberOf(ad.ClusterId) !== undefined)
    .map(condorJob);
}

/**
 * Why an idle job does not start, from `condor_q -better-analyze <id>`: its
 * "WARNING" line, else the count of machines its requirements reject, else
 * the "are able to run your job" count. Undefined when the text says none of these.
 */
export function parseBetterAnalyze(output: string): string | undefined {
  const lines = output.split('\n').map(line => line.trim());
  const warning = lines.findIndex(line => /^WARNING:/.test(line));
  if (warning >= 0) {
    const next = lines.slice(warning + 1).find(line => line !== '');
    const said = lines[warning].replace(/^WARNING:\s*(Be advised:)?\s*/, '');
    return said || next;
  }
  const summary = /Of (\d+) machines?,/.exec(output);
  const rejected = /(\d+) (?:are|is) rejected by your job's requirements/.exec(output);
  if (summary && rejected && Number(rejected[1]) > 0) {
    return `${rejected[1]} of ${summary[1]} machines are rejected by the job's requirements`;
  }
  const able = /(\d+) (?:are|is) able to run your job/.exec(output);
  return summary && able ? `${able[1]} of ${summary[1]} machines are able to run the job` : undefined;
}
