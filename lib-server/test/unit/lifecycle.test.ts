/**
 * ClusterManager.create: a parsed request is planned, checked, submitted, and
 * only then started; a refusal at any step starts nothing and submits nothing.
 * The lifecycle's refusals are ClusterErrors, mapped onto HTTP in one place.
 */

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { IClusterType, ICreateRequest } from '../../../protocol/index.js';
import { parseCreateRequest } from '../../src/api/clusters.js';
import type { IBackend, ILaunchPlan, SubmitResult } from '../../src/backends/backend.js';
import { ClusterError } from '../../src/clusters/errors.js';
import { ClusterManager } from '../../src/clusters/lifecycle.js';
import { Registry } from '../../src/clusters/registry.js';
import { ApiError, apiErrorOf } from '../../src/http/errors.js';
import { DEFAULT_LIMITS } from '../../src/settings.js';
import { refusalOf } from './refusal.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'lifecycle-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A backend whose plan needs a work directory and whose submit answers `answer`. */
function fakeBackend(answer: SubmitResult, workers = 2): { backend: IBackend; submitted: ILaunchPlan[] } {
  const submitted: ILaunchPlan[] = [];
  const backend: IBackend = {
    id: 'fake',
    describe: async () => ({}) as IClusterType,
    plan: async (request, clusterId) => ({
      plan: {
        spec: request,
        environment: { python: '/usr/bin/python3', label: 'Python 3' },
        scaling: { mode: 'fixed', workers },
        start: {
          op: 'start',
          cluster_id: clusterId,
          adapter: 'gateway',
          kwargs: {},
          config: {},
          scaling: { mode: 'fixed', workers }
        },
        workDirs: [path.join(dir, 'work', clusterId)]
      }
    }),
    submit: async plan => {
      submitted.push(plan);
      return answer;
    },
    checkScaling: () => [],
    snippet: () => '',
    tunnelCommand: () => undefined
  };
  return { backend, submitted };
}

function manager(backend: IBackend, registry = new Registry(dir, [])): ClusterManager {
  return new ClusterManager({
    registry,
    backends: new Map([[backend.id, backend]]),
    runnerPath: '/nonexistent/runner.py',
    stateDir: dir,
    baseUrl: '/dask-clusters/',
    limits: () => ({ ...DEFAULT_LIMITS, maxWorkersPerCluster: 4 })
  });
}

async function refusal(promise: Promise<unknown>): Promise<ClusterError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e
  );
  if (!(error instanceof ClusterError)) {
    throw new Error(`expected a ClusterError, got ${String(error)}`);
  }
  return error;
}

const request: ICreateRequest = { type: 'fake', options: {} };

describe('ClusterManager.create', () => {
  it("answers submit's refusal field by field, starts nothing and removes the plan's directories", async () => {
    const { backend, submitted } = fakeBackend({ fields: [{ path: '/size', message: 'Too big for the service.' }] });
    const registry = new Registry(dir, []);
    const error = await refusal(manager(backend, registry).create(request));
    expect(error).toMatchObject({ kind: 'invalid', code: 'invalid_options', message: 'Too big for the service.' });
    expect(error.fields).toEqual([{ path: '/size', message: 'Too big for the service.' }]);
    expect(submitted).toHaveLength(1);
    expect(registry.list()).toEqual([]);
    expect(existsSync(submitted[0].workDirs[0])).toBe(false);
  });

  it('submits nothing when the companion refuses the plan (the worker cap)', async () => {
    const { backend, submitted } = fakeBackend({ fields: [] }, 9);
    const error = await refusal(manager(backend).create(request));
    expect(error.fields?.map(field => field.path)).toEqual(['/workers']);
    expect(submitted).toEqual([]);
  });

  it('refuses an unknown type and an unknown cluster as domain errors', async () => {
    const { backend } = fakeBackend({ fields: [] });
    const m = manager(backend);
    expect(await refusal(m.create({ type: 'nope', options: {} }))).toMatchObject({
      kind: 'unknown',
      code: 'unknown_type',
      message: 'Unknown cluster type "nope"; known types: fake.'
    });
    expect(() => m.record('x')).toThrow(ClusterError);
  });
});

describe('apiErrorOf', () => {
  it('maps each kind onto its status, keeping code, message and fields', () => {
    const fields = [{ path: '/a', message: 'A.' }];
    expect(apiErrorOf(new ClusterError('invalid', 'invalid_options', 'A.', fields))?.toJSON()).toEqual({
      error: 'invalid_options',
      message: 'A.',
      fields
    });
    const statuses = (['not_found', 'conflict', 'invalid', 'unknown', 'internal'] as const).map(
      kind => apiErrorOf(new ClusterError(kind, 'c', 'm'))?.status
    );
    expect(statuses).toEqual([404, 409, 422, 400, 500]);
    const api = new ApiError(418, 'teapot', 'no');
    expect(apiErrorOf(api)).toBe(api);
    expect(apiErrorOf(new Error('boom'))).toBeUndefined();
  });
});

describe('parseCreateRequest', () => {
  const refused = (body: unknown) => refusalOf(parseCreateRequest, body);

  it('keeps a trimmed name, the options and adopt', () => {
    expect(parseCreateRequest({ type: 'local', name: '  mine ', options: { workers: 2 } })).toEqual({
      type: 'local',
      name: 'mine',
      options: { workers: 2 }
    });
    expect(parseCreateRequest({ type: 'gateway', name: ' ', adopt: 'abc' })).toEqual({
      type: 'gateway',
      options: {},
      adopt: 'abc'
    });
  });

  it('refuses the shape with the answers the API gives', () => {
    expect(refused([]).status).toBe(400);
    expect(refused({ type: 'local', option: {} }).fields).toEqual([
      {
        path: '/option',
        message: 'Unknown field "option"; remove it or fix its spelling (accepted: type, name, options, adopt).'
      }
    ]);
    expect(refused({ type: 'local', options: [] }).fields?.[0].path).toBe('/options');
    expect(refused({ type: 'gateway', adopt: '' }).fields?.[0].path).toBe('/adopt');
    expect(refused({ type: 'gateway', adopt: 'a', options: { x: 1 } }).fields?.[0].path).toBe('/options');
    expect(refused({ type: 'local', name: 'x'.repeat(201) })).toMatchObject({ status: 422, code: 'invalid_name' });
  });
});
