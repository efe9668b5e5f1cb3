/**
 * Lifetime and idle timeout: two fields every type gets from the engine,
 * with the site's defaults (and where they come from) and caps (refused next
 * to the field); the lifetime makes the plan's end, the idle timeout goes to
 * the runner; and the item says why the cluster ended, stopped, not failed.
 */

import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { IClusterModel, IClusterType, ICreateRequest, IFieldError } from '../../../protocol/index.js';
import { parseSettings } from '../../src/api/settings.js';
import type { IBackend, ILaunchPlan } from '../../src/backends/backend.js';
import { definedBackend } from '../../src/backends/defined.js';
import type { ITypeDefinition } from '../../src/backends/definition.js';
import { formatMinutes, parseDuration, type IEndingLimits } from '../../src/backends/ending.js';
import { needsDistributed } from '../../src/backends/fields.js';
import { ClusterManager } from '../../src/clusters/lifecycle.js';
import { Registry } from '../../src/clusters/registry.js';
import { ApiError } from '../../src/http/errors.js';
import { parseRunnerEvent } from '../../src/runner/protocol.js';
import { DEFAULT_LIMITS } from '../../src/settings.js';
import { ENVIRONMENTS, localBackend, SERVER_PYTHON } from './fixtures.js';

const SITE: IEndingLimits = {
  defaultLifetimeMinutes: 120,
  maxLifetimeMinutes: 480,
  defaultIdleTimeoutMinutes: 30,
  maxIdleTimeoutMinutes: 60
};

/** A site-like type with its own layout, which names only its own fields. */
const LAID_OUT: ITypeDefinition = {
  id: 'facility',
  title: 'Facility',
  description: 'A facility cluster.',
  clusterClass: 'facility.Cluster',
  options: { partition: { type: 'string', default: 'short' } },
  required: [],
  ui: {},
  scaling: { workers: 1, adaptive: false, adaptive_minimum: 0, adaptive_maximum: 4 },
  layout: {
    order: ['environment', 'partition', 'workers', 'adaptive', 'adaptive_minimum', 'adaptive_maximum'],
    groups: [{ title: 'Everything', fields: ['environment', 'partition', 'workers'] }]
  },
  kwargs: { partition: '{partition}', n_workers: '{workers}' },
  tls: false,
  environmentCheck: needsDistributed,
  origin: "your site's dask config"
};

function laidOut(limits: IEndingLimits = {}): IBackend {
  return definedBackend(LAID_OUT, {
    environments: () => Promise.resolve(ENVIRONMENTS),
    serverPython: SERVER_PYTHON,
    securityBase: '/tmp/unused',
    limits: () => limits
  });
}

async function planOf(backend: IBackend, options: Record<string, unknown>, type = 'local'): Promise<ILaunchPlan> {
  const result = await backend.plan({ type, options } as ICreateRequest, 'c0ffee00');
  if (!('plan' in result)) {
    throw new Error(`refused: ${JSON.stringify(result.fields)}`);
  }
  return result.plan;
}

async function refusalOf(backend: IBackend, options: Record<string, unknown>): Promise<IFieldError[]> {
  const result = await backend.plan({ type: 'local', options } as ICreateRequest, 'c0ffee00');
  if (!('fields' in result)) {
    throw new Error('expected a refusal');
  }
  return result.fields;
}

describe('durations', () => {
  it('reads what people write, a number alone as minutes', () => {
    expect(parseDuration('8h')).toBe(480);
    expect(parseDuration('90m')).toBe(90);
    expect(parseDuration('1h30m')).toBe(90);
    expect(parseDuration('1 h 30 min')).toBe(90);
    expect(parseDuration('1.5h')).toBe(90);
    expect(parseDuration('2:00')).toBe(120);
    expect(parseDuration('45')).toBe(45);
    expect(parseDuration('0.1')).toBeCloseTo(0.1);
    expect(parseDuration('2 d')).toBe(2880);
  });

  it('refuses what it cannot read rather than guessing', () => {
    expect(parseDuration('1h 30')).toBeUndefined();
    expect(parseDuration('soon')).toBeUndefined();
    expect(parseDuration('')).toBeUndefined();
    expect(parseDuration('-5m')).toBeUndefined();
  });

  it('writes them back in units that read back the same', () => {
    for (const [minutes, text] of [
      [120, '2 h'],
      [90, '1 h 30 min'],
      [45, '45 min'],
      [0.5, '30 s'],
      [2880, '2 d']
    ] as const) {
      expect(formatMinutes(minutes)).toBe(text);
      expect(parseDuration(text)).toBeCloseTo(minutes);
    }
  });
});

describe('the form', () => {
  it('gives every type a Lifetime and an Idle timeout field in a section of their own', async () => {
    const type = await localBackend().describe({});
    const properties = type.schema.properties as Record<string, { title?: string; default?: unknown }>;
    expect(properties.lifetime).toMatchObject({ type: 'string', title: 'Lifetime' });
    expect(properties.idle_timeout).toMatchObject({ type: 'number', title: 'Idle timeout (minutes)' });
    // No site default: the fields start empty and state no source.
    expect(properties.lifetime.default).toBeUndefined();
    expect(type.sources.map(source => source.field)).not.toContain('lifetime');
    expect(type.uiSchema['ui:groups']).toContainEqual({
      title: 'When it stops',
      fields: ['lifetime', 'idle_timeout', 'keep_running']
    });
    expect((type.uiSchema['ui:order'] as string[]).slice(-3)).toEqual(['lifetime', 'idle_timeout', 'keep_running']);
  });

  it("adds them to a type's own layout, which does not name them", async () => {
    const type = await laidOut().describe({});
    expect(type.uiSchema['ui:order']).toEqual([
      ...(LAID_OUT.layout?.order ?? []),
      'lifetime',
      'idle_timeout',
      'keep_running'
    ]);
    expect(type.uiSchema['ui:groups']).toEqual([
      ...(LAID_OUT.layout?.groups ?? []),
      { title: 'When it stops', fields: ['lifetime', 'idle_timeout', 'keep_running'] }
    ]);
  });

  it("starts from the site's defaults and says where they come from", async () => {
    const type: IClusterType = await localBackend({ limits: () => SITE }).describe({});
    expect(type.defaults).toMatchObject({ lifetime: '2 h', idle_timeout: 30 });
    expect(type.sources).toContainEqual({
      field: 'lifetime',
      value: '2 h',
      source: 'limits.defaultLifetimeMinutes, set by your site or in Settings > Dask Clusters > Limits'
    });
    expect(type.sources).toContainEqual({
      field: 'idle_timeout',
      value: 30,
      source: 'limits.defaultIdleTimeoutMinutes, set by your site or in Settings > Dask Clusters > Limits'
    });
  });

  it('starts from the cap when the site sets a cap and no default', async () => {
    const type = await laidOut({ maxLifetimeMinutes: 480 }).describe({});
    expect(type.defaults).toMatchObject({ lifetime: '8 h' });
    expect(type.sources.find(source => source.field === 'lifetime')?.source).toMatch(
      /^the most allowed here \(limits\.maxLifetimeMinutes/
    );
  });
});

describe('a plan', () => {
  it('ends at its lifetime, saying so in words the item uses', async () => {
    const before = Date.now();
    const plan = await planOf(localBackend(), { workers: 1, lifetime: '2h' });
    expect(Date.parse(plan.endsAt?.at ?? '') - before).toBeGreaterThanOrEqual(2 * 3_600_000);
    expect(Date.parse(plan.endsAt?.at ?? '') - before).toBeLessThan(2 * 3_600_000 + 10_000);
    expect(plan.endsAt).toMatchObject({ why: 'its lifetime of 2 h ends', reason: 'Lifetime of 2 h reached.' });
    expect(plan.spec.options.lifetime).toBe('2h');
  });

  it('ends before the batch job JupyterLab runs in when that comes first, and at its lifetime otherwise', async () => {
    const inJob = (end: Date) =>
      localBackend({ allocation: { job: { system: 'SLURM', jobId: '77' }, end: async () => end } });
    const soon = await planOf(inJob(new Date(Date.now() + 30 * 60_000)), { workers: 1, lifetime: '2h' });
    expect(soon.endsAt?.reason).toBe('Stopped before the walltime of SLURM job 77 ends.');
    const late = await planOf(inJob(new Date(Date.now() + 5 * 3_600_000)), { workers: 1, lifetime: '2h' });
    expect(late.endsAt?.reason).toBe('Lifetime of 2 h reached.');
  });

  it('has no end and no idle timeout when nothing asks for one', async () => {
    const plan = await planOf(localBackend(), { workers: 1 });
    expect(plan.endsAt).toBeUndefined();
    expect(plan.idleTimeout).toBeUndefined();
    expect('idle_timeout_minutes' in plan.start).toBe(false);
  });

  it('gives the runner the idle timeout, and takes the default for an empty field', async () => {
    const asked = await planOf(localBackend({ limits: () => SITE }), { workers: 1, idle_timeout: 5 });
    expect(asked.start.idle_timeout_minutes).toBe(5);
    expect(asked.idleTimeout).toBe(5);
    const empty = await planOf(localBackend({ limits: () => SITE }), { workers: 1, lifetime: '' });
    expect(empty.start.idle_timeout_minutes).toBe(30);
    expect(empty.endsAt?.why).toBe('its lifetime of 2 h ends');
  });

  it('takes minutes as a decimal number, so a lifetime may be short', async () => {
    const before = Date.now();
    const plan = await planOf(laidOut(), { lifetime: '0.05' }, 'facility');
    expect(Date.parse(plan.endsAt?.at ?? '') - before).toBeLessThan(4_000);
    expect(plan.endsAt?.reason).toBe('Lifetime of 3 s reached.');
  });

  it('refuses a lifetime or an idle timeout over the cap next to its field, naming the cap and where it is set', async () => {
    const fields = await refusalOf(localBackend({ limits: () => SITE }), {
      workers: 1,
      lifetime: '12h',
      idle_timeout: 90
    });
    expect(fields).toEqual([
      {
        path: '/lifetime',
        message:
          'A lifetime of 12 h is more than the 8 h a cluster may run here (limits.maxLifetimeMinutes = 480, set by your site or in Settings > Dask Clusters > Limits); ask for 8 h or less.'
      },
      {
        path: '/idle_timeout',
        message:
          'An idle timeout of 90 minutes is more than the 60 allowed here (limits.maxIdleTimeoutMinutes, set by your site or in Settings > Dask Clusters > Limits); use 60 or less.'
      }
    ]);
  });

  it('refuses a lifetime it cannot read, and an idle timeout of 0', async () => {
    const fields = await refusalOf(localBackend(), { workers: 1, lifetime: 'tomorrow', idle_timeout: 0 });
    expect(fields.map(field => field.path).sort()).toEqual(['/idle_timeout', '/lifetime']);
    expect(fields.find(field => field.path === '/lifetime')?.message).toBe(
      'Lifetime "tomorrow" is not a duration: write e.g. 8h, 90m, 1h30m or 2:00 (a number alone is minutes).'
    );
  });
});

describe('the runner protocol', () => {
  it('reads the ending event, and refuses an incomplete one', () => {
    expect(parseRunnerEvent('{"event":"ending","reason":"idle","minutes":1.5}')).toEqual({
      event: 'ending',
      reason: 'idle',
      minutes: 1.5
    });
    expect(parseRunnerEvent('{"event":"ending","reason":"bored"}')).toHaveProperty('invalid');
  });
});

describe('the site settings', () => {
  it('takes minutes from 0 (none) and refuses negative or fractional ones', () => {
    expect(parseSettings({ limits: { maxLifetimeMinutes: 480, defaultIdleTimeoutMinutes: 0 } }).limits).toEqual({
      maxLifetimeMinutes: 480,
      defaultIdleTimeoutMinutes: 0
    });
    expect(() => parseSettings({ limits: { maxIdleTimeoutMinutes: -1 } })).toThrow(ApiError);
    expect(() => parseSettings({ limits: { defaultLifetimeMinutes: 1.5 } })).toThrow(ApiError);
  });
});

describe('the item', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'lifetime-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** A runner that starts at once, sends `after` events, and closes when asked (or after them). */
  function fakeRunner(after: string[], closeItself: boolean): string {
    const file = path.join(dir, 'runner.py');
    writeFileSync(
      file,
      [
        'import json, sys',
        'sys.stdin.readline()',
        'print(json.dumps({"event": "started", "scheduler_address": "tcp://127.0.0.1:1", "dashboard_address": None}), flush=True)',
        ...after.map(line => `print(${JSON.stringify(line)}, flush=True)`),
        ...(closeItself ? [] : ['for line in sys.stdin:', '    if "close" in line:', '        break']),
        'print(json.dumps({"event": "closed"}), flush=True)'
      ].join('\n')
    );
    chmodSync(file, 0o700);
    return file;
  }

  function managerWith(plan: Partial<ILaunchPlan>, runnerPath: string): ClusterManager {
    const backend: IBackend = {
      id: 'fake',
      describe: async () => ({}) as IClusterType,
      plan: async (request, clusterId) => ({
        plan: {
          spec: request,
          environment: { python: 'python3', label: 'Python 3' },
          scaling: { mode: 'fixed', workers: 1 },
          start: {
            op: 'start',
            cluster_id: clusterId,
            cluster_class: 'x.Y',
            kwargs: {},
            config: {},
            scaling: { mode: 'fixed', workers: 1 }
          },
          workDirs: [],
          ...plan
        }
      }),
      checkScaling: () => [],
      snippet: () => '',
      tunnelCommand: () => undefined
    };
    return new ClusterManager({
      registry: new Registry(dir, []),
      backends: new Map([['fake', backend]]),
      runnerPath,
      stateDir: dir,
      baseUrl: '/dask-clusters/',
      limits: () => DEFAULT_LIMITS,
      closeGraceMs: 5_000
    });
  }

  async function ended(manager: ClusterManager, id: string): Promise<IClusterModel> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const model = manager.record(id).model;
      if (model.state === 'stopped' || model.state === 'failed') {
        return model;
      }
      if (Date.now() > deadline) {
        throw new Error(`still ${model.state}`);
      }
      await new Promise(resolve => setTimeout(resolve, 50));
    }
  }

  it('says the lifetime was reached when its end comes, and is stopped', async () => {
    const at = new Date(Date.now() + 300).toISOString();
    const manager = managerWith(
      { endsAt: { at, why: 'its lifetime of 2 h ends', reason: 'Lifetime of 2 h reached.' } },
      fakeRunner([], false)
    );
    const model = await manager.create({ type: 'fake', options: {} });
    expect(model).toMatchObject({ endsAt: at, endsWhy: 'its lifetime of 2 h ends' });
    expect(await ended(manager, model.id)).toMatchObject({ state: 'stopped', endReason: 'Lifetime of 2 h reached.' });
  });

  it('keeps the allocation wording for an end without its own reason', async () => {
    const at = new Date(Date.now() + 300).toISOString();
    const manager = managerWith({ endsAt: { at, why: 'the walltime of SLURM job 7 ends' } }, fakeRunner([], false));
    const model = await manager.create({ type: 'fake', options: {} });
    expect((await ended(manager, model.id)).endReason).toBe('Stopped before the walltime of SLURM job 7 ends.');
  });

  it('says how long it was idle when the runner ends it for that, and is stopped, not failed', async () => {
    const manager = managerWith(
      { idleTimeout: 1 },
      fakeRunner([JSON.stringify({ event: 'ending', reason: 'idle', minutes: 1 })], true)
    );
    const model = await manager.create({ type: 'fake', options: {} });
    expect(model.idleTimeout).toBe(1);
    expect(await ended(manager, model.id)).toMatchObject({
      state: 'stopped',
      endReason: 'Stopped after 1 minute without tasks.',
      idleTimeout: 1
    });
  });

  it('counts minutes in the plural', async () => {
    const manager = managerWith(
      {},
      fakeRunner([JSON.stringify({ event: 'ending', reason: 'idle', minutes: 30 })], true)
    );
    const model = await manager.create({ type: 'fake', options: {} });
    expect((await ended(manager, model.id)).endReason).toBe('Stopped after 30 minutes without tasks.');
  });
});
