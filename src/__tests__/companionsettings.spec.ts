import { Signal } from '@lumino/signaling';
import type { ICompanionSettings } from '../../protocol';
import { ApiError } from '../api/errors';
import { companionSettings, CompanionSettingsSync } from '../companionsettings';
import { initialOptions, lastUsedKey } from '../dialogs/defaults';
import { NewClusterForm } from '../dialogs/newclusterform';
import type { IDaskSettings } from '../settings';
import { DEFAULT_SETTINGS } from '../settings';
import type { IDaskClusterSettings } from '../tokens';
import { FakeManager, makeEnvironments, makeType } from './fixtures';

/**
 * Settings in memory whose values the test changes.
 */
class FakeSettings implements IDaskClusterSettings {
  current: IDaskSettings = DEFAULT_SETTINGS;
  readonly changed: Signal<IDaskClusterSettings, void> = new Signal(this);
  update(values: Partial<IDaskSettings>): void {
    this.current = { ...this.current, ...values };
    this.changed.emit();
  }
  async setLastOptions(): Promise<void> {
    // not used here
  }
  async savePreset(): Promise<void> {
    // not used here
  }
  async deletePreset(): Promise<void> {
    // not used here
  }
  async saveLayout(): Promise<void> {
    // not used here
  }
}

function setup(status: 'open' | 'closed' = 'closed') {
  const manager = new FakeManager();
  manager.status = status;
  const settings = new FakeSettings();
  const sent: ICompanionSettings[] = [];
  let fail: Error | null = null;
  jest.spyOn(manager.client, 'updateSettings').mockImplementation(async body => {
    if (fail) {
      throw fail;
    }
    sent.push(body);
    return body;
  });
  const errors: unknown[] = [];
  const sync = new CompanionSettingsSync({ manager, settings, onError: e => errors.push(e) });
  return { manager, settings, sent, errors, sync, failWith: (e: Error | null) => (fail = e) };
}

async function flush(): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, 0));
}

describe('companionSettings', () => {
  it('is the gateway part, the worker variables, the limits and the ended clusters to keep, nothing else', () => {
    expect(
      companionSettings({
        ...DEFAULT_SETTINGS,
        lastOptions: { local: { workers: 2 } },
        gateway: { address: 'https://gw', optionMapping: { envVars: 'environment' } },
        workerEnvironment: { A: '1' },
        limits: { maxClusters: 3, maxWorkersPerCluster: 8 },
        keepEnded: 7
      })
    ).toEqual({
      gateway: { address: 'https://gw', optionMapping: { envVars: 'environment' } },
      workerEnvironment: { A: '1' },
      limits: { maxClusters: 3, maxWorkersPerCluster: 8 },
      keepEnded: 7
    });
  });
});

describe('CompanionSettingsSync', () => {
  it('sends once the stream opens, and again on every reconnection', async () => {
    const { manager, sent, sync } = setup();
    await flush();
    expect(sent).toHaveLength(0);
    manager.setStatus('open');
    await flush();
    expect(sent).toHaveLength(1);
    manager.setStatus('open');
    await flush();
    expect(sent).toHaveLength(1);
    // A restarted companion has forgotten them.
    manager.setStatus('closed');
    manager.setStatus('open');
    await flush();
    expect(sent).toHaveLength(2);
    sync.dispose();
  });

  it('sends when the gateway settings, variables or limits change, not for last-used values', async () => {
    const { settings, sent, sync } = setup('open');
    await flush();
    expect(sent).toHaveLength(1);
    settings.update({ lastOptions: { local: { workers: 3 } } });
    await flush();
    expect(sent).toHaveLength(1);
    settings.update({ workerEnvironment: { B: '2' } });
    await flush();
    expect(sent).toHaveLength(2);
    expect(sent[1].workerEnvironment).toEqual({ B: '2' });
    // A site's new limits reach the companion without a reload.
    settings.update({ limits: { maxClusters: 2 } });
    await flush();
    expect(sent).toHaveLength(3);
    expect(sent[2].limits).toEqual({ maxClusters: 2 });
    sync.dispose();
    settings.update({ workerEnvironment: { C: '3' } });
    await flush();
    expect(sent).toHaveLength(3);
  });

  it('reports a refusal, not a missing answer, and sends again on the next change', async () => {
    const { settings, sent, errors, failWith, sync } = setup('open');
    await flush();
    failWith(new ApiError(400, { error: 'bad_request', message: '"1A" is not an environment variable name.' }));
    settings.update({ workerEnvironment: { '1A': 'x' } });
    await flush();
    expect(errors).toHaveLength(1);
    // No answer at all: the sidebar says so already, and the next connection sends again.
    failWith(new ApiError(0, { error: 'network', message: 'Failed to fetch' }));
    settings.update({ workerEnvironment: { B: 'x' } });
    await flush();
    expect(errors).toHaveLength(1);
    failWith(null);
    settings.update({ workerEnvironment: { A: 'x' } });
    await flush();
    expect(sent.map(s => s.workerEnvironment)).toEqual([{}, { A: 'x' }]);
    sync.dispose();
  });
});

describe('last-used values per instance', () => {
  const gateway = (instance: string) => makeType({ id: 'gateway', instance, linked: [], defaults: { workers: 1 } });

  it('keys by type, and by instance when the type names one', () => {
    expect(lastUsedKey(makeType())).toBe('local');
    expect(lastUsedKey(gateway('http://gw-a'))).toBe('gateway@http://gw-a');
  });

  it('starts the form from the values used on the same gateway only', () => {
    const settings: IDaskSettings = {
      ...DEFAULT_SETTINGS,
      defaultType: 'gateway',
      lastOptions: {
        'gateway@http://gw-a': { workers: 3 },
        gateway: { workers: 7 }
      }
    };
    const on = (instance: string) =>
      new NewClusterForm({
        types: [gateway(instance)],
        environments: [],
        settings,
        kernelName: null
      }).values.workers;
    expect(on('http://gw-a')).toBe(3);
    expect(on('http://gw-b')).toBe(1);
  });
});

describe('the kernel environment on a type whose environment option has another name', () => {
  it('fills the option whose choices are interpreters, not a mapping named environment', () => {
    const type = makeType({
      id: 'gateway',
      linked: [],
      defaults: {},
      schema: {
        type: 'object',
        properties: {
          python_environment: { type: 'string', enum: ['/envs/science/bin/python', '/usr/bin/python3'] },
          environment: { type: 'object', additionalProperties: { type: 'string' } }
        }
      }
    });
    const values = initialOptions({ type, environments: makeEnvironments(), kernelName: 'science' });
    expect(values.python_environment).toBe('/envs/science/bin/python');
    expect(values).not.toHaveProperty('environment');
  });
});
