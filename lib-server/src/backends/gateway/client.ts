/**
 * The gateway's REST API (`/api/v1/...`), as much of it as the companion
 * needs: options, list, get, create, stop. Every failure becomes an ApiError
 * whose message says what happened in words a user can act on.
 */

import { ApiError } from '../../http/errors.js';
import { httpRequest, type IHttpResponse } from '../../util/http-request.js';
import { isObject } from '../../util/objects.js';
import { authorization, type IGatewayConnection } from './connection.js';

/** One entry of `GET /api/v1/options`. */
export interface IGatewayOption {
  field: string;
  label?: string;
  default?: unknown;
  spec: { type: string; min?: number | null; max?: number | null; options?: unknown[] };
}

/** A cluster as `GET /api/v1/clusters/` reports it. */
export interface IGatewayCluster {
  name: string;
  status: string;
  /** Seconds since the epoch, or milliseconds on some versions. */
  start_time?: number | null;
  dashboard_route?: string | null;
  options?: Record<string, unknown>;
}

/** Statuses of clusters that still exist on a gateway. */
export const LIVE_STATUSES = 'PENDING,RUNNING';

/** Milliseconds before a request to the gateway counts as timed out. */
export const GATEWAY_TIMEOUT_MS = 15_000;

/** The words for a gateway answer that is not a success. */
export function describeFailure(
  status: number,
  reason: string,
  address: string
): { status: number; code: string; message: string } {
  const detail = reason ? `: ${reason}` : '';
  switch (status) {
    case 401:
      return {
        status: 502,
        code: 'gateway_unauthorized',
        message: `The gateway at ${address} rejected the credentials (401)${detail}. Check gateway.auth in your dask config.`
      };
    case 403:
      return { status: 403, code: 'gateway_forbidden', message: `The gateway refused this (403)${detail}.` };
    case 404:
      return {
        status: 404,
        code: 'gateway_not_found',
        message: `The gateway does not know it (404)${detail}; it may have been stopped elsewhere.`
      };
    case 409:
      return { status: 409, code: 'gateway_conflict', message: `The gateway could not do it now (409)${detail}.` };
    case 422:
      return { status: 422, code: 'gateway_invalid', message: `The gateway refused the options (422)${detail}.` };
    default:
      return {
        status: 502,
        code: 'gateway_error',
        message: `The gateway at ${address} answered ${status}${detail}${status >= 500 ? ' (a server-side error; try again, or ask its administrators)' : ''}.`
      };
  }
}

/** A REST client of one gateway. */
export class GatewayClient {
  constructor(
    readonly connection: IGatewayConnection,
    private readonly timeoutMs = GATEWAY_TIMEOUT_MS
  ) {}

  /** `GET /api/v1/options`. */
  async options(): Promise<IGatewayOption[]> {
    const body = await this.request('GET', '/api/v1/options');
    const list = isObject(body) ? body.cluster_options : undefined;
    if (!Array.isArray(list)) {
      throw new ApiError(
        502,
        'gateway_error',
        `The gateway at ${this.connection.address} sent options in an unknown shape.`
      );
    }
    return list.filter(
      (entry): entry is IGatewayOption => isObject(entry) && typeof entry.field === 'string' && isObject(entry.spec)
    );
  }

  /** The user's clusters in the given statuses (`PENDING,RUNNING`...). */
  async clusters(statuses = LIVE_STATUSES): Promise<IGatewayCluster[]> {
    const body = await this.request('GET', `/api/v1/clusters/?status=${encodeURIComponent(statuses)}`);
    if (!isObject(body)) {
      return [];
    }
    return Object.values(body).filter(
      (entry): entry is IGatewayCluster => isObject(entry) && typeof entry.name === 'string'
    );
  }

  /** One cluster, or 404 as an ApiError. */
  async cluster(name: string): Promise<IGatewayCluster> {
    return (await this.request('GET', `/api/v1/clusters/${encodeURIComponent(name)}`)) as IGatewayCluster;
  }

  /** Create a cluster; its name. A 422 is an ApiError with the gateway's reason. */
  async create(options: Record<string, unknown>): Promise<string> {
    const body = await this.request('POST', '/api/v1/clusters/', { cluster_options: options });
    const name = isObject(body) ? body.name : undefined;
    if (typeof name !== 'string') {
      throw new ApiError(502, 'gateway_error', 'The gateway created a cluster but did not say its name.');
    }
    return name;
  }

  /** Stop a cluster (the gateway answers 204 even when it is already gone). */
  async stop(name: string): Promise<void> {
    await this.request('DELETE', `/api/v1/clusters/${encodeURIComponent(name)}`);
  }

  /** One request; JSON answer or undefined for 204; ApiError otherwise. */
  async request(method: string, path: string, body?: unknown): Promise<unknown> {
    const { address } = this.connection;
    const headers: Record<string, string> = { Accept: 'application/json' };
    const auth = authorization(this.connection.auth);
    if (auth !== undefined) {
      headers.Authorization = auth;
    }
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
    }
    let response: IHttpResponse;
    try {
      response = await httpRequest(`${address}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
        redirect: 'error'
      });
    } catch (error) {
      // A timeout rejects with the signal's reason, a TimeoutError (DOMException).
      const name = isObject(error) ? String(error.name) : '';
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new ApiError(
          504,
          'gateway_timeout',
          `The gateway at ${address} did not answer within ${this.timeoutMs / 1000} s.`
        );
      }
      const cause = error instanceof Error ? error.message : String(error);
      throw new ApiError(502, 'gateway_unreachable', `The gateway at ${address} cannot be reached (${cause}).`);
    }
    const textBody = response.text;
    if (!response.ok) {
      let reason: string;
      try {
        const parsed = JSON.parse(textBody) as { error?: unknown };
        reason = typeof parsed.error === 'string' ? parsed.error : '';
      } catch {
        reason = textBody.slice(0, 200).trim();
      }
      const failure = describeFailure(response.status, reason, address);
      throw new GatewayRequestError(failure.status, failure.code, failure.message, response.status, reason);
    }
    if (textBody === '') {
      return undefined;
    }
    try {
      return JSON.parse(textBody) as unknown;
    } catch {
      throw new ApiError(502, 'gateway_error', `The gateway at ${address} answered something that is not JSON.`);
    }
  }
}

/** A gateway answer that is not a success, with the gateway's own status and reason. */
export class GatewayRequestError extends ApiError {
  constructor(
    status: number,
    code: string,
    message: string,
    readonly gatewayStatus: number,
    readonly reason: string
  ) {
    super(status, code, message);
  }
}
