import { nullTranslator } from '@jupyterlab/translation';
import type { IClusterModel, ICreateRequest } from '../../protocol';
import { ApiError } from '../api/errors';
import { NewClusterBody } from '../dialogs/newcluster';
import { NewClusterForm } from '../dialogs/newclusterform';
import { SubmitDialog } from '../dialogs/submit';
import { ClusterSettings } from '../settings';
import { makeCluster, makeEnvironments, makeType } from './fixtures';
import { query, waitFor } from './wait';

describe('the New cluster dialog', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  it('stays open on a 422, shows each message next to its field, and closes on success', async () => {
    const settings = new ClusterSettings(null);
    // Last time the user chose 3 threads: a value that differs from the default.
    await settings.setLastOptions('local', { threads: 3 });
    const form = new NewClusterForm({
      types: [
        makeType({
          sources: [
            { field: '/workers', value: 2, source: 'CPUs of this machine' },
            { field: '/memory', value: '', source: 'the job working directory' }
          ]
        }),
        makeType({ id: 'gateway', title: 'Gateway', available: false, reason: 'no address' })
      ],
      environments: makeEnvironments(),
      settings: settings.current,
      kernelName: 'science'
    });
    const body = new NewClusterBody({ form, settings, translator: nullTranslator });
    const sent: ICreateRequest[] = [];
    let refuse = true;
    const result = SubmitDialog.show<ICreateRequest, IClusterModel>({
      title: 'New Dask Cluster',
      body,
      acceptLabel: 'Start',
      cancelLabel: 'Cancel',
      submit: async request => {
        sent.push(request);
        if (refuse) {
          throw new ApiError(422, {
            error: 'invalid-options',
            message: 'Some options are not valid.',
            fields: [
              { path: '/workers', message: 'more workers than cores' },
              { path: '/memory', message: 'more memory than the node has' }
            ]
          });
        }
        return makeCluster({ id: 'new', state: 'starting' });
      }
    });

    await waitFor(() => query('#root_workers') !== null);
    // Every type is listed; the unavailable one is disabled and says why.
    const options = [...(query<HTMLSelectElement>('.jp-DaskClusters-typeSelect select')?.options ?? [])];
    expect(options.map(o => [o.value, o.disabled])).toEqual([
      ['local', false],
      ['gateway', true]
    ]);
    expect(options[1].textContent).toContain('no address');
    // Each computed default says where it came from; an empty one by its source alone.
    const describedAs = (id: string) => query(`#${id}`)?.closest('.form-group')?.textContent;
    expect(describedAs('root_workers')).toContain('(Default 2: CPUs of this machine.)');
    expect(describedAs('root_memory')).toContain('(Default: the job working directory.)');
    // ...and only there: no second "Default:" line under fields that differ from it.
    expect(query('.jp-modifiedIndicator')).toBeNull();
    expect(query<HTMLInputElement>('#root_workers')?.value).toBe('2');
    expect(query<HTMLInputElement>('#root_environment')?.value).toBe('/envs/science/bin/python');

    const accept = query<HTMLButtonElement>('.jp-Dialog-button.jp-mod-accept');
    expect(accept?.textContent).toContain('Start');
    accept?.click();
    const fieldOf = (id: string) => query(`#${id}`)?.closest('.form-group');
    await waitFor(() => !!fieldOf('root_workers')?.textContent?.includes('more workers'));

    // Still open, nothing lost, and every message where it belongs: the
    // server's summary is not repeated above the form when each field has
    // its own message.
    expect(query('.jp-Dialog')).not.toBeNull();
    expect(query('.jp-DaskClusters-formError')).toBeNull();
    expect(fieldOf('root_workers')?.textContent).toContain('more workers than cores');
    expect(fieldOf('root_memory')?.textContent).toContain('more memory than the node has');
    expect(fieldOf('root_threads')?.textContent).not.toContain('more');
    expect(query<HTMLInputElement>('#root_workers')?.value).toBe('2');

    // The refused values keep Start unavailable, saying why, until they change.
    const start = () => query<HTMLButtonElement>('.jp-Dialog-button.jp-mod-accept');
    await waitFor(() => start()?.getAttribute('aria-disabled') === 'true');
    expect(query('.jp-DaskClusters-blocked')?.textContent).toMatch(/^To start, fix 2 fields: /);
    start()?.click();
    expect(sent).toHaveLength(1);
    // Any change makes the verdict stale (it weighed the values together): one field is enough.
    form.setValues({ ...form.values, workers: 1 });
    await waitFor(() => start()?.getAttribute('aria-disabled') !== 'true');

    refuse = false;
    start()?.click();
    const cluster = await result;
    expect(cluster?.id).toBe('new');
    expect(sent).toHaveLength(2);
    expect(sent[1].options).toMatchObject({ workers: 1 });
    expect(query('.jp-Dialog')).toBeNull();
  });

  it('resolves to null when cancelled', async () => {
    const settings = new ClusterSettings(null);
    const form = new NewClusterForm({
      types: [makeType()],
      environments: [],
      settings: settings.current,
      kernelName: null
    });
    const submit = jest.fn();
    const result = SubmitDialog.show<ICreateRequest, IClusterModel>({
      title: 'New Dask Cluster',
      body: new NewClusterBody({ form, settings, translator: nullTranslator }),
      acceptLabel: 'Start',
      cancelLabel: 'Cancel',
      submit
    });
    await waitFor(() => query('.jp-Dialog-button.jp-mod-reject') !== null);
    query<HTMLButtonElement>('.jp-Dialog-button.jp-mod-reject')?.click();
    expect(await result).toBeNull();
    expect(submit).not.toHaveBeenCalled();
  });
});
