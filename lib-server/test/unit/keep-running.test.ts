/**
 * Keep running after JupyterLab stops: the field every type gets, the site's
 * policy (never, optional, default), the plan's choice, and what a runner
 * that ended while no companion listened leaves for the next one to show.
 */

import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ICreateRequest } from '../../../protocol/index.js';
import { parseSettings } from '../../src/api/settings.js';
import type { ILaunchPlan } from '../../src/backends/backend.js';
import type { IEndingLimits } from '../../src/backends/ending.js';
import { detachedEnd } from '../../src/clusters/ends.js';
import { ClusterManager } from '../../src/clusters/lifecycle.js';
import { Registry, type IClusterRecord } from '../../src/clusters/registry.js';
import { ApiError } from '../../src/http/errors.js';
import { DEFAULT_LIMITS } from '../../src/settings.js';
import { localBackend } from './fixtures.js';

async function describeWith(limits: IEndingLimits) {
  return localBackend({ limits: () => limits }).describe({});
}

async function planWith(limits: IEndingLimits, options: Record<string, unknown>) {
  return localBackend({ limits: () => limits }).plan({ type: 'local', options } as ICreateRequest, 'c0ffee00');
}

describe('the Keep running field', () => {
  it('is offered unticked by default, and the plan follows it', async () => {
    const type = await describeWith({});
    expect(type.schema.properties?.keep_running).toMatchObject({
      type: 'boolean',
      title: 'Keep running when JupyterLab stops',
      default: false
    });
    const kept = await planWith({}, { workers: 1, keep_running: true });
    expect('plan' in kept && kept.plan.keepRunning).toBe(true);
    const plain = await planWith({}, { workers: 1 });
    expect('plan' in plain && (plain.plan as ILaunchPlan).keepRunning).toBeUndefined();
  });

  it('is ticked by default where the site says so, and the dialog says where that comes from', async () => {
    const type = await describeWith({ keepRunning: 'default' });
    expect(type.schema.properties?.keep_running).toMatchObject({ default: true });
    expect(type.sources).toContainEqual({
      field: 'keep_running',
      value: true,
      source: 'limits.keepRunning = "default", set by your site or in Settings > Dask Clusters > Limits'
    });
    const planned = await planWith({ keepRunning: 'default' }, { workers: 1 });
    expect('plan' in planned && planned.plan.keepRunning).toBe(true);
  });

  it('is not offered where the site forbids it, and asking for it anyway is refused on the field', async () => {
    const type = await describeWith({ keepRunning: 'never' });
    expect(type.schema.properties?.keep_running).toBeUndefined();
    const refused = await planWith({ keepRunning: 'never' }, { workers: 1, keep_running: true });
    expect(refused).toEqual({
      fields: [{ path: '/keep_running', message: expect.stringMatching(/^Unknown field "keep_running"; remove it/) }]
    });
  });

  it('takes the policy from the settings, and refuses an unknown one', () => {
    expect(parseSettings({ limits: { keepRunning: 'never' } }).limits).toEqual({ keepRunning: 'never' });
    expect(() => parseSettings({ limits: { keepRunning: 'always' } })).toThrow(ApiError);
  });
});

describe('a cluster that ended while JupyterLab was not running', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'jdc-keep-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function leave(end: unknown): string {
    const control = path.join(dir, 'c1.sock');
    writeFileSync(`${control}.end`, JSON.stringify(end));
    return control;
  }

  it('says why it stopped, from what its runner left', () => {
    const control = leave({ code: 0, event: { event: 'ending', reason: 'idle', minutes: 30 } });
    expect(detachedEnd(control)).toEqual({
      state: 'stopped',
      endReason: 'Ended while JupyterLab was not running. Stopped after 30 minutes without tasks.'
    });
    expect(existsSync(`${control}.end`)).toBe(false);
    expect(detachedEnd(control)).toBeUndefined();
  });

  it('says how its runner failed', () => {
    const control = leave({ code: 1, event: { event: 'error', message: 'closing the cluster failed: boom' } });
    expect(detachedEnd(control)).toEqual({
      state: 'failed',
      error:
        'Its runner failed while JupyterLab was not running (exit code 1): closing the cluster failed: boom.'.replace(
          /\.$/,
          ''
        )
    });
  });

  it('is not lost at the next start, but stopped with that reason', () => {
    const control = leave({ code: 0, event: null });
    const record: IClusterRecord = {
      model: {
        id: 'c1',
        name: 'kept',
        type: 'local',
        state: 'running',
        createdAt: '2026-12-02T10:00:00Z',
        spec: { type: 'local', options: {} },
        scaling: { mode: 'fixed', workers: 1 },
        workers: 1,
        cores: 1,
        memory: 1,
        environment: { python: '/usr/bin/python3', label: 'py' },
        hasDashboard: true,
        jobs: [],
        keepRunning: true
      },
      runnerPid: 999_999,
      control,
      workDirs: [],
      logFile: path.join(dir, 'c1.log')
    };
    const registry = new Registry(dir, [record]);
    const manager = new ClusterManager({
      registry,
      backends: new Map(),
      runnerPath: '/site/runner.py',
      stateDir: dir,
      baseUrl: '/dask-clusters/',
      limits: () => DEFAULT_LIMITS
    });
    manager.reconcile({ isAlive: () => false, cmdline: () => undefined, startTime: () => undefined });
    expect(registry.get('c1')?.model).toMatchObject({
      state: 'stopped',
      endReason: 'Ended while JupyterLab was not running. It was closed.',
      hasDashboard: false
    });
    expect(registry.get('c1')?.model.error).toBeUndefined();
  });
});
