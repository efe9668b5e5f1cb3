/**
 * What the cluster lifecycle refuses, in its own terms: a kind (the cluster
 * is unknown, the request conflicts with the state, the request is invalid...)
 * and a code and message for people. The API maps the kinds onto HTTP
 * statuses in one place (http/errors.ts `apiErrorOf`); nothing here knows HTTP.
 */

import type { IFieldError } from '../../../protocol/index.js';

/** Why the lifecycle refused. */
export type ClusterErrorKind =
  /** No cluster (or other thing) of that name. */
  | 'not_found'
  /** Not possible in the current state (not running, too many clusters...). */
  | 'conflict'
  /** The request's values are wrong, field by field (`fields`). */
  | 'invalid'
  /** The request names something that does not exist (an unknown cluster type). */
  | 'unknown'
  /** The companion cannot do it safely here (e.g. an unsafe directory). */
  | 'internal';

/** A refusal of the lifecycle. */
export class ClusterError extends Error {
  constructor(
    readonly kind: ClusterErrorKind,
    readonly code: string,
    message: string,
    readonly fields?: IFieldError[]
  ) {
    super(message);
  }
}

/**
 * The summary of field errors people read (a notification, a CLI's output):
 * the messages themselves, each already naming its field by title, nothing else.
 */
export function fieldSummary(fields: IFieldError[]): string {
  return fields.map(field => field.message).join(' ') || 'The request was refused.';
}

/** What is wrong with a request, field by field. */
export function invalidRequest(fields: IFieldError[]): ClusterError {
  return new ClusterError('invalid', 'invalid_options', fieldSummary(fields), fields);
}

/** A cluster id the registry does not hold. */
export function unknownCluster(id: string): ClusterError {
  return new ClusterError('not_found', 'not_found', `No cluster with id "${id}".`);
}

/** A cluster another JupyterLab server of the user runs: this companion does not manage it. */
export function runsElsewhere(record: {
  model: { name: string };
  owner?: { host: string; pid: number };
}): ClusterError {
  const where =
    record.owner === undefined
      ? 'another JupyterLab'
      : `the JupyterLab on ${record.owner.host} (companion pid ${record.owner.pid})`;
  return new ClusterError(
    'conflict',
    'runs_elsewhere',
    `Cluster "${record.model.name}" runs in ${where}; stop or change it there.`
  );
}
