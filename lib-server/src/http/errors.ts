/** Errors that become IApiError answers. */

import type { IApiError, IFieldError } from '../../../protocol/index.js';

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
