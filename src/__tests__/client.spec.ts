import { ServerConnection } from '@jupyterlab/services';
import type { IApiError } from '../../protocol';
import { ClusterClient } from '../api/client';
import { ApiError, toErrorSchema } from '../api/errors';
import { makeCluster } from './fixtures';

/**
 * A client whose fetch answers from `respond` and records the requests.
 */
function fakeClient(
  respond: (request: Request) => Response,
  token = ''
): { client: ClusterClient; requests: Request[] } {
  const requests: Request[] = [];
  const serverSettings = ServerConnection.makeSettings({
    baseUrl: 'http://lab.example/user/ada/',
    wsUrl: 'ws://lab.example/user/ada/',
    token,
    fetch: (input: RequestInfo) => {
      const request = input as Request;
      requests.push(request);
      return Promise.resolve(respond(request));
    }
  });
  return { client: new ClusterClient({ serverSettings }), requests };
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' }
  });
}

describe('ClusterClient', () => {
  it('posts a create request below the server prefix', async () => {
    const created = makeCluster({ state: 'starting' });
    const { client, requests } = fakeClient(() => json(201, created));
    const answer = await client.create({ type: 'local', options: { workers: 3 } });
    expect(answer).toEqual(created);
    expect(requests[0].method).toBe('POST');
    expect(requests[0].url).toMatch(/^http:\/\/lab\.example\/user\/ada\/dask-clusters\/api\/clusters\?/);
    expect(await requests[0].json()).toEqual({
      type: 'local',
      options: { workers: 3 }
    });
  });

  it('maps a 422 answer to an ApiError with field errors', async () => {
    const body: IApiError = {
      error: 'invalid-options',
      message: 'The options are not valid.',
      fields: [
        { path: '/workers', message: 'must be >= 0' },
        { path: '/memory', message: 'not a size' },
        { path: '/scheduler/port', message: 'port in use' }
      ]
    };
    const { client } = fakeClient(() => json(422, body));
    const error = await client.create({ type: 'local', options: { workers: -1 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    const apiError = error as ApiError;
    expect(apiError.status).toBe(422);
    expect(apiError.isClientError).toBe(true);
    expect(apiError.code).toBe('invalid-options');
    expect(apiError.message).toBe('The options are not valid.');
    expect(toErrorSchema(apiError.fields)).toEqual({
      workers: { __errors: ['must be >= 0'] },
      memory: { __errors: ['not a size'] },
      scheduler: { port: { __errors: ['port in use'] } }
    });
  });

  it('reports a proxy error page without its HTML', async () => {
    const { client } = fakeClient(
      () => new Response('<html>Bad Gateway</html>', { status: 502, statusText: 'Bad Gateway' })
    );
    const error = (await client.list().catch((e: unknown) => e)) as ApiError;
    expect(error.status).toBe(502);
    expect(error.isClientError).toBe(false);
    expect(error.message).toBe('502 Bad Gateway');
  });

  it('passes memoryReserve only when set, and reads a 204 as null', async () => {
    const { client, requests } = fakeClient(request =>
      request.method === 'DELETE' ? new Response(null, { status: 204 }) : json(200, [])
    );
    await client.types('');
    await client.types('2GiB');
    expect(requests[0].url).not.toContain('memoryReserve');
    expect(requests[1].url).toContain('api/types?memoryReserve=2GiB');
    expect(await client.stop('c 1')).toBeNull();
    expect(requests[2].url).toContain('api/clusters/c%201');
  });

  it('builds the event and dashboard addresses', () => {
    const { client } = fakeClient(() => json(200, {}), 'tok en');
    expect(client.eventsUrl()).toBe('ws://lab.example/user/ada/dask-clusters/api/events?token=tok%20en');
    expect(client.dashboardUrl('c1', 'individual-task-stream')).toBe(
      'http://lab.example/user/ada/dask-clusters/dashboard/c1/individual-task-stream'
    );
    const { client: noToken } = fakeClient(() => json(200, {}));
    expect(noToken.eventsUrl()).toBe('ws://lab.example/user/ada/dask-clusters/api/events');
  });
});

describe('toErrorSchema', () => {
  it('unescapes pointers and keeps root messages at the root', () => {
    expect(
      toErrorSchema([
        { path: '', message: 'bad request' },
        { path: '/a~1b', message: 'x' },
        { path: '/a~1b', message: 'y' }
      ])
    ).toEqual({ __errors: ['bad request'], 'a/b': { __errors: ['x', 'y'] } });
  });
});
