import { Dialog } from '@jupyterlab/apputils';
import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';
import type { IClusterModel, ICreateRequest } from '../../protocol';
import { endingFields } from '../../lib-server/src/backends/ending';
import { NewClusterBody } from '../dialogs/newcluster';
import { NewClusterForm } from '../dialogs/newclusterform';
import { SubmitDialog } from '../dialogs/submit';
import { ClusterSettings } from '../settings';
import { ClusterSidebar } from '../sidebar/sidebar';
import { FakeManager, makeCluster, makeEnvironments, makeType } from './fixtures';
import { query, waitFor } from './wait';

/** A type with the companion's own shared Lifetime and Idle timeout fields, under a site's limits. */
function typeWithEnding() {
  const ending = endingFields({ defaultLifetimeMinutes: 120, maxLifetimeMinutes: 480, defaultIdleTimeoutMinutes: 30 });
  const type = makeType({
    sources: ending.sources,
    uiSchema: { 'ui:groups': [{ title: 'When it stops', fields: Object.keys(ending.properties) }] }
  });
  type.schema.properties = { ...type.schema.properties, ...ending.properties };
  for (const [field, property] of Object.entries(ending.properties)) {
    type.defaults[field] = typeof property === 'object' ? property.default : undefined;
  }
  return type;
}

const fieldOf = (id: string) => query(`#${id}`)?.closest('.jp-DaskClusters-formField');

describe('the Lifetime and Idle timeout fields', () => {
  afterEach(() => {
    Dialog.flush();
  });

  it('appear in their section with the site default and where it is set, and reach the request', async () => {
    const settings = new ClusterSettings(null);
    const form = new NewClusterForm({
      types: [typeWithEnding()],
      environments: makeEnvironments(),
      settings: settings.current,
      kernelName: null
    });
    const body = new NewClusterBody({ form, settings, translator: nullTranslator });
    const sent: ICreateRequest[] = [];
    void SubmitDialog.show<ICreateRequest, IClusterModel>({
      title: 'New Dask Cluster',
      body,
      acceptLabel: 'Start',
      cancelLabel: 'Cancel',
      submit: async request => {
        sent.push(request);
        return makeCluster({ id: 'new', state: 'starting' });
      }
    }).catch(() => null);
    await waitFor(() => query('#root_lifetime') !== null);

    const section = [...document.querySelectorAll('.jp-DaskClusters-formSection')].find(
      element => element.querySelector('.jp-DaskClusters-formSectionTitle')?.textContent === 'When it stops'
    );
    expect(section?.contains(query('#root_lifetime'))).toBe(true);
    expect(section?.contains(query('#root_idle_timeout'))).toBe(true);
    expect(query<HTMLInputElement>('#root_lifetime')?.value).toBe('2 h');
    expect(query<HTMLInputElement>('#root_idle_timeout')?.value).toBe('30');
    expect(fieldOf('root_lifetime')?.textContent).toContain('Lifetime');
    expect(fieldOf('root_lifetime')?.textContent).toContain('limits.defaultLifetimeMinutes');
    expect(fieldOf('root_lifetime')?.textContent).toContain('At most 8 h here.');
    expect(fieldOf('root_idle_timeout')?.textContent).toContain('limits.defaultIdleTimeoutMinutes');
    expect(fieldOf('root_lifetime')?.querySelector('.jp-DaskClusters-origin')?.textContent).toBe('site default');

    query<HTMLButtonElement>('.jp-Dialog-button.jp-mod-accept')!.click();
    await waitFor(() => sent.length === 1);
    expect(sent[0].options).toMatchObject({ lifetime: '2 h', idle_timeout: 30 });
  });
});

describe('a cluster with a lifetime and an idle timeout', () => {
  it('counts down to its lifetime, shows its idle timeout, and says why it ended', async () => {
    jest.useFakeTimers({ now: Date.parse('2026-11-20T10:00:00Z'), advanceTimers: true });
    const manager = new FakeManager();
    const sidebar = new ClusterSidebar({ manager, commands: new CommandRegistry(), translator: nullTranslator });
    Widget.attach(sidebar, document.body);
    const lifetime = { endsAt: '2026-11-20T12:00:00Z', endsWhy: 'its lifetime of 2 h ends', idleTimeout: 30 };
    manager.emit({ kind: 'snapshot', clusters: [makeCluster({ id: 'a', ...lifetime })] });
    const left = () => sidebar.node.querySelector<HTMLElement>('.jp-DaskClusters-timeLeft');
    await waitFor(() => left() !== null);
    expect(left()?.textContent).toBe('2:00:00');
    expect(left()?.parentElement?.title).toBe('Until it stops before its lifetime of 2 h ends');
    expect(sidebar.node.querySelector('.jp-DaskClusters-idleTimeout')?.textContent).toBe(
      'Stops after 30 min without tasks'
    );
    manager.emit({
      kind: 'cluster',
      cluster: makeCluster({
        id: 'a',
        state: 'stopped',
        ...lifetime,
        endReason: 'Stopped after 30 minutes without tasks.'
      })
    });
    await waitFor(() => sidebar.node.querySelector('.jp-DaskClusters-endReason') !== null);
    expect(sidebar.node.querySelector('.jp-DaskClusters-endReason')?.textContent).toBe(
      'Stopped after 30 minutes without tasks.'
    );
    expect(sidebar.node.querySelector('.jp-DaskClusters-idleTimeout')).toBeNull();
    sidebar.dispose();
    jest.useRealTimers();
  });
});
