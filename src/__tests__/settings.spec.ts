import type { ISettingRegistry } from '@jupyterlab/settingregistry';
import { SettingRegistry } from '@jupyterlab/settingregistry';
import type { IDataConnector } from '@jupyterlab/statedb';
import schema from '../../schema/plugin.json';
import type { IClusterType } from '../../protocol';
import { NewClusterForm } from '../dialogs/newclusterform';
import { ClusterSettings, DEFAULT_SETTINGS, readSettings, SETTINGS_ID, withoutPreset, withPreset } from '../settings';
import { makeType } from './fixtures';

describe('readSettings', () => {
  it('fills defaults and drops malformed entries', () => {
    expect(
      readSettings({
        defaultType: 'slurm',
        lastOptions: { local: { workers: 2 }, broken: 3 },
        presets: [
          { name: 'big', type: 'slurm', options: { cores: 8 } },
          { name: 'no options', type: 'slurm' }
        ],
        memoryReserve: ' 2GiB ',
        confirmStop: false,
        keepEnded: 5
      })
    ).toEqual({
      defaultType: 'slurm',
      lastOptions: { local: { workers: 2 } },
      presets: [{ name: 'big', type: 'slurm', options: { cores: 8 } }],
      memoryReserve: '2GiB',
      confirmStop: false,
      keepEnded: 5,
      gateway: { optionMapping: {} },
      workerEnvironment: {},
      limits: {},
      dashboardLayouts: []
    });
    expect(readSettings(undefined)).toEqual({
      defaultType: 'local',
      lastOptions: {},
      presets: [],
      memoryReserve: '',
      confirmStop: true,
      keepEnded: 20,
      gateway: { optionMapping: {} },
      workerEnvironment: {},
      limits: {},
      dashboardLayouts: []
    });
    // Ended clusters to keep: a whole number from 0; the default otherwise.
    expect(readSettings({ keepEnded: 0 }).keepEnded).toBe(0);
    expect(readSettings({ keepEnded: -1 }).keepEnded).toBe(20);
    expect(readSettings({ keepEnded: 2.5 }).keepEnded).toBe(20);
  });

  it('reads the gateway settings and worker variables, dropping empty texts', () => {
    const read = readSettings({
      gateway: {
        address: ' https://gw.example ',
        proxyAddress: '',
        optionMapping: { environment: 'conda_env', envVars: 7 }
      },
      workerEnvironment: { A: '1', B: 2 }
    });
    expect(read.gateway).toEqual({
      address: 'https://gw.example',
      optionMapping: { environment: 'conda_env' }
    });
    expect(read.workerEnvironment).toEqual({ A: '1' });
  });
});

describe('limits', () => {
  it('keeps whole numbers of at least 1 and leaves the rest to the companion', () => {
    expect(readSettings({ limits: { maxClusters: 3, maxWorkersPerCluster: 16 } }).limits).toEqual({
      maxClusters: 3,
      maxWorkersPerCluster: 16
    });
    expect(readSettings({ limits: { maxClusters: 0, maxWorkersPerCluster: 2.5 } }).limits).toEqual({});
    expect(readSettings({ limits: { maxClusters: '4' } }).limits).toEqual({});
    expect(readSettings({ limits: 7 }).limits).toEqual({});
  });

  it('keeps spareRunners of 0, which turns spare runners off', () => {
    expect(readSettings({ limits: { spareRunners: 0 } }).limits).toEqual({ spareRunners: 0 });
    expect(readSettings({ limits: { spareRunners: -1 } }).limits).toEqual({});
    expect(readSettings({ limits: { spareRunners: 1.5 } }).limits).toEqual({});
  });
});

describe('presets', () => {
  it('keeps dashboard layouts with a name and plot paths', () => {
    expect(
      readSettings({
        dashboardLayouts: [
          { name: ' Mine ', plots: ['individual-progress', 3, ''] },
          { name: '', plots: ['individual-progress'] },
          { name: 'empty', plots: [] },
          'junk'
        ]
      }).dashboardLayouts
    ).toEqual([{ name: 'Mine', plots: ['individual-progress'] }]);
  });

  it('replaces a preset of the same name and type, and deletes one', () => {
    const a = { name: 'a', type: 'local', options: { workers: 1 } };
    const b = { name: 'a', type: 'slurm', options: { cores: 2 } };
    const a2 = { ...a, options: { workers: 5 } };
    expect(withPreset([a, b], a2)).toEqual([a2, b]);
    expect(withoutPreset([a, b], 'a', 'slurm')).toEqual([a]);
  });
});

describe('ClusterSettings without a registry', () => {
  it('keeps values in memory and signals changes', async () => {
    const settings = new ClusterSettings(null);
    let changes = 0;
    settings.changed.connect(() => changes++);
    await settings.setLastOptions('local', { workers: 3 });
    await settings.savePreset({ name: 'p', type: 'local', options: { workers: 1 } });
    expect(settings.current.lastOptions).toEqual({ local: { workers: 3 } });
    expect(settings.current.presets).toHaveLength(1);
    await settings.deletePreset('p', 'local');
    expect(settings.current.presets).toHaveLength(0);
    expect(changes).toBe(3);
  });
});

/**
 * A settings connector in memory over a schema, keeping what is saved.
 */
function makeConnector(pluginSchema: unknown = schema): IDataConnector<ISettingRegistry.IPlugin, string> {
  const saved: Record<string, string> = {};
  return {
    fetch: async id => ({
      id,
      schema: pluginSchema as ISettingRegistry.ISchema,
      data: { composite: {}, user: {} },
      raw: saved[id] ?? '{}',
      version: 'test'
    }),
    list: async () => ({ ids: [], values: [] }),
    save: async (id, raw) => {
      saved[id] = raw;
    },
    remove: async () => undefined
  };
}

describe('ClusterSettings with the setting registry', () => {
  it('writes only values the schema accepts', async () => {
    const connector = makeConnector();
    const registry = new SettingRegistry({ connector });
    const settings = new ClusterSettings(await registry.load(SETTINGS_ID));
    expect(settings.current.confirmStop).toBe(true);
    expect(settings.current.defaultType).toBe('local');
    expect(settings.current.limits).toEqual({
      maxClusters: 10,
      maxWorkersPerCluster: 64,
      maxLifetimeMinutes: 0,
      defaultLifetimeMinutes: 0,
      maxIdleTimeoutMinutes: 0,
      defaultIdleTimeoutMinutes: 0,
      keepRunning: 'optional',
      spareRunners: 2
    });

    await settings.setLastOptions('slurm', { cores: 4, queue: 'debug', unset: undefined });
    await settings.savePreset({ name: 'big', type: 'slurm', options: { cores: 16 } });
    // A fresh registry (a reload of the page) reads back what was written.
    const reloaded = new ClusterSettings(await new SettingRegistry({ connector }).load(SETTINGS_ID));
    expect(reloaded.current.lastOptions).toEqual({ slurm: { cores: 4, queue: 'debug' } });
    expect(reloaded.current.presets).toEqual([{ name: 'big', type: 'slurm', options: { cores: 16 } }]);
    expect(settings.current.presets.map(p => p.name)).toEqual(['big']);
  });

  it('offers the Overview layout by default and saves new layouts beside it', async () => {
    const connector = makeConnector();
    const settings = new ClusterSettings(await new SettingRegistry({ connector }).load(SETTINGS_ID));
    expect(settings.current.dashboardLayouts).toEqual([
      {
        name: 'Overview',
        plots: ['individual-task-stream', 'individual-progress', 'individual-workers-memory', 'individual-graph']
      }
    ]);
    await settings.saveLayout({ name: 'Memory', plots: ['individual-workers-memory'] });
    await settings.saveLayout({ name: 'Memory', plots: ['individual-cluster-memory'] });
    const reloaded = new ClusterSettings(await new SettingRegistry({ connector }).load(SETTINGS_ID));
    expect(reloaded.current.dashboardLayouts.map(l => [l.name, l.plots[0]])).toEqual([
      ['Overview', 'individual-task-stream'],
      ['Memory', 'individual-cluster-memory']
    ]);
  });

  it('takes the limits a site sets through the settings overrides', async () => {
    // The server applies overrides.json as the property's default.
    const overridden = JSON.parse(JSON.stringify(schema));
    overridden.properties.limits.default = { maxClusters: 2, maxLifetimeMinutes: 480, defaultIdleTimeoutMinutes: 30 };
    const registry = new SettingRegistry({ connector: makeConnector(overridden) });
    const settings = new ClusterSettings(await registry.load(SETTINGS_ID));
    expect(settings.current.limits).toEqual({
      maxClusters: 2,
      maxWorkersPerCluster: 64,
      maxLifetimeMinutes: 480,
      defaultLifetimeMinutes: 0,
      maxIdleTimeoutMinutes: 0,
      defaultIdleTimeoutMinutes: 30,
      keepRunning: 'optional',
      spareRunners: 2
    });
  });
});

describe('last-used values: only what the user changed from the defaults in effect', () => {
  /** SLURM-like: a queue the site's jobqueue.yaml chooses, and cores. */
  const slurm = (queue = 'debug') =>
    makeType({
      id: 'slurm',
      schema: { type: 'object', properties: { cores: { type: 'integer' }, queue: { type: 'string' } } },
      defaults: { cores: 4, queue },
      sources: [{ field: '/queue', value: queue, source: 'your dask config (jobqueue.slurm)' }],
      linked: []
    });

  const open = (settings: ClusterSettings, type: IClusterType) =>
    new NewClusterForm({ types: [type], environments: [], settings: settings.current, kernelName: null });

  /** Open the dialog, change some fields, press Start: what the dialog saves. */
  async function start(settings: ClusterSettings, type: IClusterType, edits: Record<string, unknown> = {}) {
    const form = open(settings, type);
    form.setValues({ ...form.values, ...edits });
    const remembered = form.remembered(form.request().options)!;
    await settings.setLastOptions(remembered.key, remembered.options);
  }

  async function load(connector: IDataConnector<ISettingRegistry.IPlugin, string>) {
    return new ClusterSettings(await new SettingRegistry({ connector }).load(SETTINGS_ID));
  }

  it('stores only the changed fields, and forgets one set back to the default', async () => {
    const connector = makeConnector();
    await start(await load(connector), slurm(), { cores: 8 });
    expect((await load(connector)).current.lastOptions).toEqual({ slurm: { cores: 8 } });

    await start(await load(connector), slurm(), { cores: 8, queue: 'long' });
    expect((await load(connector)).current.lastOptions).toEqual({ slurm: { cores: 8, queue: 'long' } });

    // Back to the default: the field is no longer the user's, and nothing left forgets the type.
    await start(await load(connector), slurm(), { cores: 4 });
    expect((await load(connector)).current.lastOptions).toEqual({ slurm: { queue: 'long' } });
    await start(await load(connector), slurm(), { queue: 'debug' });
    expect((await load(connector)).current.lastOptions).toEqual({});
  });

  it('lets a changed site default reach a user who never touched the field, not one who changed it', async () => {
    const untouched = makeConnector();
    const changed = makeConnector();
    await start(await load(untouched), slurm('debug'), { cores: 8 });
    await start(await load(changed), slurm('debug'), { queue: 'long' });

    // The site's jobqueue.yaml now defaults to another partition.
    const a = open(await load(untouched), slurm('short'));
    expect(a.values).toEqual({ cores: 8, queue: 'short' });
    expect(a.origin('queue')).toEqual({ kind: 'site', source: 'your dask config (jobqueue.slurm)' });
    expect(a.origin('cores')).toEqual({ kind: 'lastUsed' });
    const b = open(await load(changed), slurm('short'));
    expect(b.values).toEqual({ cores: 4, queue: 'long' });
    expect(b.origin('queue')).toEqual({ kind: 'lastUsed' });
    expect(b.origin('cores')).toEqual({ kind: 'default' });
  });

  it('reads values stored the old way (every field): those equal to the default are defaults', async () => {
    const connector = makeConnector();
    const registry = await new SettingRegistry({ connector }).load(SETTINGS_ID);
    await registry.set('lastOptions', {
      slurm: { cores: 4, queue: 'debug', removed_option: true },
      'gateway@https://gw.example': { python_environment: '/envs/science/bin/python', workers: 2 }
    });
    const settings = new ClusterSettings(registry);
    const form = open(settings, slurm('debug'));
    expect(form.values).toEqual({ cores: 4, queue: 'debug' });
    expect(form.origin('cores')).toEqual({ kind: 'default' });
    expect(form.origin('queue')).toMatchObject({ kind: 'site' });
    expect(form.hasChanges).toBe(false);

    // The gateway renamed `python_environment` to `environment`: the stored value follows.
    const gateway = makeType({
      id: 'gateway',
      instance: 'https://gw.example',
      schema: { type: 'object', properties: { environment: { type: 'string' }, workers: { type: 'integer' } } },
      defaults: { workers: 2 },
      linked: []
    });
    const migrated = open(settings, gateway);
    expect(migrated.values).toEqual({ environment: '/envs/science/bin/python', workers: 2 });
    expect(migrated.origin('environment')).toEqual({ kind: 'lastUsed' });
    expect(migrated.origin('workers')).toEqual({ kind: 'default' });

    // One start rewrites both the new way; a later site default then reaches the user.
    await start(settings, slurm('debug'));
    await start(settings, gateway);
    expect((await load(connector)).current.lastOptions).toEqual({
      'gateway@https://gw.example': { environment: '/envs/science/bin/python' }
    });
    expect(open(await load(connector), slurm('short')).values.queue).toBe('short');
  });

  it('keeps the old gateway field where the schema still has it, and a value stored under the new name', () => {
    const settings = {
      ...DEFAULT_SETTINGS,
      lastOptions: { gateway: { python_environment: '/old/python', environment: '/new/python' } }
    };
    const both = makeType({
      id: 'gateway',
      schema: {
        type: 'object',
        properties: { environment: { type: 'string' }, python_environment: { type: 'string' } }
      },
      defaults: {},
      linked: []
    });
    const form = new NewClusterForm({ types: [both], environments: [], settings, kernelName: null });
    expect(form.values).toEqual({ python_environment: '/old/python', environment: '/new/python' });
    const renamed = {
      ...both,
      schema: { type: 'object' as const, properties: { environment: { type: 'string' as const } } }
    };
    const kept = new NewClusterForm({ types: [renamed], environments: [], settings, kernelName: null });
    expect(kept.values).toEqual({ environment: '/new/python' });
  });

  it('takes per-type values a site sets through the settings overrides as site defaults, never stored as the user’s', async () => {
    const overridden = JSON.parse(JSON.stringify(schema));
    overridden.properties.lastOptions.default = { slurm: { queue: 'site-queue' } };
    const connector = makeConnector(overridden);
    const settings = await load(connector);
    const form = open(settings, slurm());
    expect(form.values.queue).toBe('site-queue');
    expect(form.origin('queue')).toEqual({ kind: 'site' });
    expect(form.hasChanges).toBe(false);

    await start(settings, slurm(), { cores: 8 });
    const reloaded = await load(connector);
    expect(reloaded.current.lastOptions).toEqual({ slurm: { cores: 8 } });
    expect(reloaded.current.siteOptions).toEqual({ slurm: { queue: 'site-queue' } });
    // The site later changes its value: it reaches this user, who never touched it.
    overridden.properties.lastOptions.default = { slurm: { queue: 'other-queue' } };
    expect(open(await load(connector), slurm()).values).toEqual({ cores: 8, queue: 'other-queue' });
  });
});
