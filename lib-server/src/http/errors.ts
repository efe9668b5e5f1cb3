/** Errors that become IApiError answers. */

import type { IApiError, IFieldError } from '../../../protocol/index.js';
import { ClusterError, fieldSummary, type ClusterErrorKind } from '../clusters/errors.js';

export { unknownFields } from '../util/unknown-fields.js';

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

/** 422 listing what is wrong with the request, field by field. */
export function invalidOptions(fields: IFieldError[]): ApiError {
  return new ApiError(422, 'invalid_options', fieldSummary(fields), fields);
}

/** The HTTP status of each kind of lifecycle refusal: the one place they meet. */
export const STATUS_OF_KIND: Readonly<Record<ClusterErrorKind, number>> = {
  not_found: 404,
  conflict: 409,
  invalid: 422,
  unknown: 400,
  internal: 500
};

/** `error` as the ApiError the router answers with, when it is one or a lifecycle refusal. */
export function apiErrorOf(error: unknown): ApiError | undefined {
  if (error instanceof ApiError) {
    return error;
  }
  if (error instanceof ClusterError) {
    return new ApiError(STATUS_OF_KIND[error.kind], error.code, error.message, error.fields);
  }
  return undefined;
}
