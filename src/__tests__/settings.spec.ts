import type { ISettingRegistry } from '@jupyterlab/settingregistry';
import { SettingRegistry } from '@jupyterlab/settingregistry';
import type { IDataConnector } from '@jupyterlab/statedb';
import schema from '../../schema/plugin.json';
import { ClusterSettings, readSettings, SETTINGS_ID, withoutPreset, withPreset } from '../settings';

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
        confirmStop: false
      })
    ).toEqual({
      defaultType: 'slurm',
      lastOptions: { local: { workers: 2 } },
      presets: [{ name: 'big', type: 'slurm', options: { cores: 8 } }],
      memoryReserve: '2GiB',
      confirmStop: false,
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
      gateway: { optionMapping: {} },
      workerEnvironment: {},
      limits: {},
      dashboardLayouts: []
    });
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
    expect(settings.current.limits).toEqual({ maxClusters: 10, maxWorkersPerCluster: 64 });

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
    overridden.properties.limits.default = { maxClusters: 2 };
    const registry = new SettingRegistry({ connector: makeConnector(overridden) });
    const settings = new ClusterSettings(await registry.load(SETTINGS_ID));
    expect(settings.current.limits).toEqual({ maxClusters: 2, maxWorkersPerCluster: 64 });
  });
});
