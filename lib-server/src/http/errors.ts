/** Errors that become IApiError answers. */

import type { IApiError, IFieldError } from '../../../protocol/index.js';

/** Thrown by handlers; the router turns it into a JSON IApiError answer. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields?: IFieldError[]
  ) {
    super(message);
  }

  /** The answer body. */
  toJSON(): IApiError {
    const body: IApiError = { error: this.code, message: this.message };
    if (this.fields && this.fields.length > 0) {
      body.fields = this.fields;
    }
    return body;
  }
}

/** 404 for a cluster id the registry does not hold. */
export function unknownCluster(id: string): ApiError {
  return new ApiError(404, 'not_found', `No cluster with id "${id}".`);
}

/** 422 listing what is wrong with the request, field by field. */
export function invalidOptions(fields: IFieldError[]): ApiError {
  // People read this summary (a notification, a CLI's output): the messages
  // themselves, each already naming its field by title, nothing else.
  const summary = fields.map(field => field.message).join(' ');
  return new ApiError(422, 'invalid_options', summary || 'The request was refused.', fields);
}

/**
 * Fields of `body` not in `accepted`, each as a problem that names the
 * accepted ones: a misspelt field is refused, never silently ignored.
 */
export function unknownFields(body: Record<string, unknown>, accepted: readonly string[], prefix = ''): IFieldError[] {
  return Object.keys(body)
    .filter(key => !accepted.includes(key))
    .map(key => ({
      path: `${prefix}/${key}`,
      message: `Unknown field "${key}"; remove it or fix its spelling (accepted: ${accepted.join(', ')}).`
    }));
}
