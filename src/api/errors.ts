import type { ErrorSchema } from '@rjsf/utils';
import type { IApiError, IFieldError } from '../../protocol';

/**
 * A failed request to the companion, with the server's explanation when it gave one.
 */
export class ApiError extends Error {
  /**
   * Create an error from an HTTP status and the parsed body.
   */
  constructor(status: number, body: IApiError) {
    super(body.message || body.error);
    this.name = 'ApiError';
    this.status = status;
    this.code = body.error;
    this.fields = body.fields ?? [];
  }

  /**
   * The HTTP status, 0 when the request never got an answer.
   */
  readonly status: number;

  /**
   * The machine-readable error code of the body (`IApiError.error`).
   */
  readonly code: string;

  /**
   * Problems with single fields of the request.
   */
  readonly fields: ReadonlyArray<IFieldError>;

  /**
   * Whether the request itself was wrong (4xx), so the user can fix and resend it.
   */
  get isClientError(): boolean {
    return this.status >= 400 && this.status < 500;
  }
}

/**
 * Whether a value has the shape of an `IApiError` body.
 */
export function isApiErrorBody(value: unknown): value is IApiError {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const body = value as Record<string, unknown>;
  if (typeof body.error !== 'string' || typeof body.message !== 'string') {
    return false;
  }
  return (
    body.fields === undefined ||
    (Array.isArray(body.fields) &&
      body.fields.every(
        f =>
          typeof f === 'object' &&
          f !== null &&
          typeof (f as Record<string, unknown>).path === 'string' &&
          typeof (f as Record<string, unknown>).message === 'string'
      ))
  );
}

/**
 * Build an `ApiError` from a failed response, whatever its body holds.
 */
export async function errorFromResponse(response: Response): Promise<ApiError> {
  let text = '';
  try {
    text = await response.text();
  } catch {
    // An unreadable body still leaves the status to report.
  }
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON: a proxy's HTML error page, for instance.
  }
  if (isApiErrorBody(parsed)) {
    return new ApiError(response.status, parsed);
  }
  const detail = text.trim().slice(0, 200);
  return new ApiError(response.status, {
    error: 'http-' + response.status,
    message: detail && !detail.startsWith('<') ? detail : `${response.status} ${response.statusText}`.trim()
  });
}

/**
 * Split a JSON pointer into its unescaped segments (`/a~1b/0` -> `['a/b', '0']`).
 */
export function pointerSegments(pointer: string): string[] {
  if (pointer === '' || pointer === '/') {
    return [];
  }
  const body = pointer.startsWith('/') ? pointer.slice(1) : pointer;
  return body.split('/').map(segment => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/**
 * Turn field errors into the nested error schema react-jsonschema-form shows next to each field.
 */
export function toErrorSchema(fields: ReadonlyArray<IFieldError>): ErrorSchema {
  const root: ErrorSchema = {};
  for (const field of fields) {
    let node: ErrorSchema = root;
    for (const segment of pointerSegments(field.path)) {
      const next = (node[segment] as ErrorSchema | undefined) ?? {};
      node[segment] = next;
      node = next;
    }
    node.__errors = [...(node.__errors ?? []), field.message];
  }
  return root;
}
