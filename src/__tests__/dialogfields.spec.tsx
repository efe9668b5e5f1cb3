import { Dialog, Notification } from '@jupyterlab/apputils';
import { nullTranslator } from '@jupyterlab/translation';
import type { IClusterModel, IClusterType, ICreateRequest } from '../../protocol';
import { ApiError } from '../api/errors';
import { changedFromDefaults } from '../dialogs/defaults';
import { NewClusterBody } from '../dialogs/newcluster';
import { NewClusterForm } from '../dialogs/newclusterform';
import { ScaleBody } from '../dialogs/scale';
import { SubmitDialog } from '../dialogs/submit';
import type { IDaskSettings } from '../settings';
import { ClusterSettings } from '../settings';
import { makeCluster, makeEnvironments, makeType } from './fixtures';
import { query, waitFor } from './wait';

const MEMORY_PATTERN = '^\\s*\\d+(\\.\\d*)?\\s*([kKmMgGtT]([iI])?)?[bB]?\\s*$';

/** A local-like type with a memory pattern, sections and a computed default. */
function localType() {
  const type = makeType({
    sources: [{ field: 'workers', value: 2, source: 'CPUs of this machine' }],
    uiSchema: {
      'ui:groups': [
        { title: 'How big', fields: ['profile', 'workers', 'threads', 'memory'] },
        { title: 'Advanced', fields: ['environment'], collapsed: true }
      ],
      memory: { 'ui:patternError': 'Write a number and a unit, e.g. 4 GiB.' }
    }
  });
  const properties = type.schema.properties as Record<string, object>;
  properties.memory = { type: 'string', title: 'Memory per worker', pattern: MEMORY_PATTERN };
  properties.workers = { type: 'integer', title: 'Workers', minimum: 1, maximum: 64 };
  return type;
}

async function openDialog(
  settings: ClusterSettings,
  submit: (request: ICreateRequest) => Promise<IClusterModel> = async () =>
    makeCluster({ id: 'new', state: 'starting' }),
  current: IDaskSettings = settings.current,
  types: IClusterType[] = [localType()]
) {
  const form = new NewClusterForm({
    types,
    environments: makeEnvironments(),
    settings: current,
    kernelName: null
  });
  const body = new NewClusterBody({ form, settings, translator: nullTranslator });
  const result = SubmitDialog.show<ICreateRequest, IClusterModel>({
    title: 'New Dask Cluster',
    body,
    acceptLabel: 'Start',
    cancelLabel: 'Cancel',
    submit
    // A dialog closed by Dialog.flush() rejects: that is the test's end, not a failure.
  }).catch(() => null);
  await waitFor(() => query('#root_workers') !== null);
  return { form, body, result };
}

const fieldOf = (id: string) => query(`#${id}`)?.closest('.jp-DaskClusters-formField');
const accept = () => query<HTMLButtonElement>('.jp-Dialog-button.jp-mod-accept')!;

/** Type into an input as React sees it: the native setter, then an input event. */
function typeInto(input: HTMLInputElement, value: string): void {
  const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!;
  setter.call(input, value);
  input.dispatchEvent(new Event('input', { bubbles: true }));
}

function type(id: string, value: string): void {
  typeInto(query<HTMLInputElement>(`#${id}`)!, value);
}

describe('the [+New] dialog as a user sees it', () => {
  afterEach(() => {
    // Dialogs queue behind an open one: close whatever a test left open.
    Dialog.flush();
    document.body.innerHTML = '';
    jest.restoreAllMocks();
  });

  it('says a bad value once, in words, and keeps Start unavailable with the reason read with it', async () => {
    const submit = jest.fn(async () => makeCluster());
    const { result } = await openDialog(new ClusterSettings(null), submit);
    expect(accept().getAttribute('aria-disabled')).toBeNull();

    type('root_memory', '16XB');
    await waitFor(() => !!fieldOf('root_memory')?.textContent?.includes('Write a number'));
    const text = fieldOf('root_memory')!.querySelector('.validationErrors')!.textContent!;
    // Once, without the regular expression.
    expect(text.split('Write a number').length - 1).toBe(1);
    expect(text).not.toContain('\\s');
    expect(text).not.toContain('pattern');

    // Start looks and acts unavailable, stays focusable, and says why.
    expect(accept().getAttribute('aria-disabled')).toBe('true');
    expect(accept().disabled).toBe(false);
    const reasonId = accept().getAttribute('aria-describedby')!;
    const reason = document.getElementById(reasonId)!;
    expect(reason.textContent).toBe('To start, fix Memory per worker.');
    expect(reason.getAttribute('aria-live')).toBe('polite');
    accept().click();
    await new Promise(resolve => setTimeout(resolve, 20));
    expect(submit).not.toHaveBeenCalled();

    // A number out of range names the range; fixing both lets Start go.
    type('root_memory', '2 GiB');
    type('root_workers', '100');
    await waitFor(() => !!fieldOf('root_workers')?.textContent?.includes('Enter a number from 1 to 64.'));
    expect(reason.textContent).toBe('To start, fix Workers.');
    type('root_workers', '3');
    await waitFor(() => accept().getAttribute('aria-disabled') === null);
    expect(reason.textContent).toBe('');
    accept().click();
    await result;
    expect(submit).toHaveBeenCalledTimes(1);
  });

  it('shows a refused field once: the server message, not a second copy', async () => {
    await openDialog(new ClusterSettings(null), async () => {
      throw new ApiError(422, {
        error: 'invalid_options',
        message: 'Memory per worker must be at most 7 GiB for 2 workers: ...',
        fields: [{ path: '/memory', message: 'Memory per worker must be at most 7 GiB for 2 workers: ...' }]
      });
    });
    accept().click();
    await waitFor(() => !!fieldOf('root_memory')?.textContent?.includes('at most 7 GiB'));
    // Once in the form; the footer says why Start is unavailable (for the button's description).
    const form = document.querySelector('.jp-Dialog-body')!.textContent!;
    expect(form.split('at most 7 GiB').length - 1).toBe(1);
    expect(document.body.textContent).not.toMatch(/problem\(s\)|\/memory/);
    expect(accept().getAttribute('aria-disabled')).toBe('true');
    const reason = document.getElementById(accept().getAttribute('aria-describedby')!)!;
    expect(reason.textContent).toBe('To start, fix Memory per worker.');
  });

  it('shows a name a live cluster has next to the name field, until the name is changed', async () => {
    const message =
      'A live cluster is already called "etl": choose another name, or leave it empty and one is chosen for you.';
    const sent: ICreateRequest[] = [];
    await openDialog(new ClusterSettings(null), async request => {
      sent.push(request);
      throw new ApiError(422, { error: 'invalid_options', message, fields: [{ path: '/name', message }] });
    });
    const name = query<HTMLInputElement>('.jp-DaskClusters-nameInput')!;
    typeInto(name, 'etl');
    accept().click();
    await waitFor(() => query('.jp-DaskClusters-nameError') !== null);
    const error = query('.jp-DaskClusters-nameError')!;
    expect(error.textContent).toBe(message);
    expect(error.getAttribute('role')).toBe('alert');
    // Under the name field itself, which names it as its description; said once.
    expect(name.closest('.jp-DaskClusters-field')?.contains(error)).toBe(true);
    expect(name.getAttribute('aria-invalid')).toBe('true');
    expect(name.getAttribute('aria-describedby')).toBe(error.id);
    expect(document.body.textContent!.split('already called').length - 1).toBe(1);
    expect(accept().getAttribute('aria-disabled')).toBe('true');
    expect(sent.map(r => r.name)).toEqual(['etl']);
    typeInto(name, 'etl-2');
    await waitFor(() => query('.jp-DaskClusters-nameError') === null);
    expect(name.getAttribute('aria-invalid')).toBeNull();
    expect(accept().getAttribute('aria-disabled')).toBeNull();
  });

  it('groups the fields in sections, the advanced ones folded until they hold an error', async () => {
    await openDialog(new ClusterSettings(null));
    const titles = [...document.querySelectorAll('.jp-DaskClusters-formSectionTitle')].map(node => node.textContent);
    expect(titles).toEqual(['How big', 'Advanced']);
    const advanced = query<HTMLDetailsElement>('details.jp-DaskClusters-formSection')!;
    expect(advanced.open).toBe(false);
    expect(advanced.contains(query('#root_environment'))).toBe(true);
  });

  it('marks each value as site default, last used or preset, and resets to the defaults', async () => {
    const settings = new ClusterSettings(null);
    await settings.setLastOptions('local', { threads: 3 });
    await settings.savePreset({ name: 'big', type: 'local', options: { workers: 6 } });
    const { form } = await openDialog(settings);
    const mark = (id: string) => fieldOf(id)?.querySelector('.jp-DaskClusters-origin')?.textContent;
    expect(mark('root_workers')).toBe('computed default');
    expect(mark('root_threads')).toBe('last used');
    expect(fieldOf('root_threads')?.textContent).toContain('(Your last-used value.)');
    expect(fieldOf('root_workers')?.textContent).toContain('(Default 2: CPUs of this machine.)');

    form.applyPreset(settings.current.presets[0]);
    await waitFor(() => mark('root_workers') === 'preset “big”');
    expect(fieldOf('root_workers')?.textContent).toContain('(From preset “big”. Default 2: CPUs of this machine.)');
    // What the user types is theirs: no mark claims otherwise.
    type('root_memory', '3 GiB');
    await waitFor(() => mark('root_memory') === undefined);

    const reset = query<HTMLButtonElement>('.jp-DaskClusters-reset')!;
    expect(reset.disabled).toBe(false);
    reset.click();
    await waitFor(() => mark('root_threads') === 'site default');
    expect(query<HTMLInputElement>('#root_threads')?.value).toBe('2');
    expect(query<HTMLInputElement>('#root_workers')?.value).toBe('2');
    expect(query<HTMLInputElement>('#root_memory')?.value).toBe('4GiB');
    expect(query<HTMLButtonElement>('.jp-DaskClusters-reset')?.disabled).toBe(true);
  });

  it('marks site and computed defaults apart, and "last used" only on fields stored as changed', async () => {
    const type = localType();
    type.sources = [
      { field: 'workers', value: 2, source: 'CPUs of this machine' },
      { field: '/memory', value: '4GiB', source: "your site's dask config (cluster-types.local)" }
    ];
    const settings = new ClusterSettings(null);
    // Stored the old way, every field: only the profile differs from today's defaults.
    await settings.setLastOptions('local', { profile: 'large', workers: 2, threads: 2, memory: '4GiB', gone: 1 });
    const current = { ...settings.current, siteOptions: { local: { environment: '/envs/science/bin/python' } } };
    await openDialog(settings, undefined, current, [type]);
    const markOf = (id: string) => fieldOf(id)?.querySelector<HTMLElement>('.jp-DaskClusters-origin');
    const mark = (id: string) => markOf(id)?.textContent;
    expect(mark('root_profile')).toBe('last used');
    expect(fieldOf('root_profile')?.getAttribute('data-origin')).toBe('lastUsed');
    expect(mark('root_workers')).toBe('computed default');
    expect(markOf('root_workers')?.title).toBe('Computed from CPUs of this machine');
    expect(mark('root_memory')).toBe('site default');
    expect(fieldOf('root_memory')?.getAttribute('data-origin')).toBe('site');
    expect(markOf('root_memory')?.title).toBe("Set in your site's dask config (cluster-types.local)");
    expect(mark('root_threads')).toBe('site default');
    expect(fieldOf('root_threads')?.textContent).not.toContain('last-used');
    // A value from the settings overrides (overrides.json) is the site's too.
    expect(mark('root_environment')).toBe('site default');
    expect(markOf('root_environment')?.title).toBe("Set in your site's settings overrides (overrides.json)");
    expect(fieldOf('root_environment')?.textContent).toContain("(Set by your site's settings.)");
  });

  it('says through notifications that a preset was saved, renamed and deleted', async () => {
    const success = jest.spyOn(Notification, 'success').mockReturnValue('');
    const settings = new ClusterSettings(null);
    await openDialog(settings);
    const setName = (value: string) => typeInto(query<HTMLInputElement>('.jp-DaskClusters-presetName')!, value);
    setName('small');
    query<HTMLButtonElement>('.jp-DaskClusters-presetSave')!.click();
    await waitFor(() => success.mock.calls.length === 1);
    expect(success.mock.calls[0][0]).toBe('Saved preset “small”.');

    const select = query<HTMLSelectElement>('.jp-DaskClusters-presets select')!;
    await waitFor(() => select.options.length === 2);
    select.value = select.options[1].value;
    select.dispatchEvent(new Event('change', { bubbles: true }));
    setName('tiny');
    query<HTMLButtonElement>('.jp-DaskClusters-presetRename')!.click();
    await waitFor(() => success.mock.calls.length === 2);
    expect(success.mock.calls[1][0]).toBe('Renamed preset “small” to “tiny”.');
    expect(settings.current.presets.map(p => p.name)).toEqual(['tiny']);

    await waitFor(() => !query<HTMLButtonElement>('.jp-DaskClusters-presetDelete')!.disabled);
    query<HTMLButtonElement>('.jp-DaskClusters-presetDelete')!.click();
    await waitFor(() => success.mock.calls.length === 3);
    expect(success.mock.calls[2][0]).toBe('Deleted preset “tiny”.');
    expect(settings.current.presets).toEqual([]);
  });
});

describe('the Scale dialog as a user sees it', () => {
  afterEach(() => {
    // Dialogs queue behind an open one: close whatever a test left open.
    Dialog.flush();
    document.body.innerHTML = '';
  });

  it('labels its modes in capitals and says a refusal once, next to the field', async () => {
    const body = new ScaleBody(makeCluster(), nullTranslator);
    void SubmitDialog.show({
      title: 'Scale',
      body,
      acceptLabel: 'Scale',
      cancelLabel: 'Cancel',
      submit: async () => {
        throw new ApiError(422, {
          error: 'invalid_options',
          message: '3 workers x 8 GiB = 24 GiB is more than the 16 GiB this host has; use at most 2 workers.',
          fields: [
            {
              path: '/workers',
              message: '3 workers x 8 GiB = 24 GiB is more than the 16 GiB this host has; use at most 2 workers.'
            }
          ]
        });
      }
    }).catch(() => null);
    await waitFor(() => query('#root_workers') !== null);
    const labels = [...document.querySelectorAll('.field-radio-group label')].map(label => label.textContent?.trim());
    expect(labels).toEqual(['Fixed', 'Adaptive']);
    accept().click();
    await waitFor(() => !!document.body.textContent?.includes('use at most 2 workers'));
    expect(document.body.textContent!.split('use at most 2 workers').length - 1).toBe(1);
  });
});

describe('changedFromDefaults', () => {
  it('keeps what differs from the defaults, so "last used" marks only what the user changed', () => {
    expect(
      changedFromDefaults(makeType(), { profile: 'small', workers: 3, threads: 2, memory: '4GiB', environment: '/x' })
    ).toEqual({ workers: 3, environment: '/x' });
  });
});
