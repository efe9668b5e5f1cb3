import { nullTranslator } from '@jupyterlab/translation';
import type { IClusterModel, ICreateRequest, IJobScript } from '../../protocol';
import { ApiError } from '../api/errors';
import { NewClusterBody } from '../dialogs/newcluster';
import { NewClusterForm } from '../dialogs/newclusterform';
import { JobScriptPreview } from '../dialogs/preview';
import { SubmitDialog } from '../dialogs/submit';
import { ClusterSettings } from '../settings';
import { makeCluster, makeEnvironments, makeType } from './fixtures';
import { query, waitFor } from './wait';

const REQUEST: ICreateRequest = { type: 'batch', options: { workers: 2 } };

describe('JobScriptPreview', () => {
  it('asks once after the last change, and drops an older answer that arrives late', async () => {
    const answers = new Map<number, (script: IJobScript) => void>();
    const asked: unknown[] = [];
    const preview = new JobScriptPreview({
      delay: 20,
      fetch: request => {
        asked.push(request.options.workers);
        return new Promise(resolve => answers.set(Number(request.options.workers), resolve));
      }
    });
    preview.update({ ...REQUEST, options: { workers: 1 } });
    preview.update({ ...REQUEST, options: { workers: 2 } });
    expect(preview.status).toBe('loading');
    await waitFor(() => asked.length === 1);
    // Typing on within the delay: only the last value was asked.
    expect(asked).toEqual([2]);

    preview.update({ ...REQUEST, options: { workers: 3 } });
    await waitFor(() => asked.length === 2);
    answers.get(3)?.({ script: '#SBATCH -n 3' });
    await waitFor(() => preview.status === 'ready');
    answers.get(2)?.({ script: '#SBATCH -n 2' });
    await new Promise(resolve => setTimeout(resolve, 10));
    expect(preview.script).toBe('#SBATCH -n 3');

    // The same options (another name, a re-render) are not asked again.
    preview.update({ ...REQUEST, name: 'other', options: { workers: 3 } });
    await new Promise(resolve => setTimeout(resolve, 40));
    expect(asked).toHaveLength(2);
    expect(preview.status).toBe('ready');

    preview.update(null);
    expect(preview.status).toBe('idle');
    expect(preview.script).toBe('');
    preview.dispose();
  });

  it('passes a refusal on, and keeps other failures to itself', async () => {
    const refusal = new ApiError(422, {
      error: 'invalid-options',
      message: 'no',
      fields: [{ path: '/walltime', message: 'above the limit' }]
    });
    let fail: Error = refusal;
    const told: Array<ApiError | null> = [];
    const preview = new JobScriptPreview({
      delay: 0,
      fetch: () => Promise.reject(fail),
      onAnswer: answer => told.push(answer)
    });
    preview.update(REQUEST);
    await waitFor(() => preview.status === 'refused');
    expect(told).toEqual([refusal]);

    fail = new ApiError(500, { error: 'internal', message: 'runner.py failed' });
    preview.update({ ...REQUEST, options: { workers: 9 } });
    await waitFor(() => preview.status === 'failed');
    expect(preview.message).toBe('runner.py failed');
    expect(told).toHaveLength(1);
    preview.dispose();
  });
});

describe('the job script in the New cluster dialog', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  function open(fetch: (request: ICreateRequest) => Promise<IJobScript>) {
    const settings = new ClusterSettings(null);
    const form = new NewClusterForm({
      types: [makeType({ id: 'batch', title: 'Batch', preview: true }), makeType({ id: 'local', title: 'Local' })],
      environments: makeEnvironments(),
      settings: { ...settings.current, defaultType: 'batch' },
      kernelName: 'science'
    });
    const body = new NewClusterBody({
      form,
      settings,
      translator: nullTranslator,
      preview: fetch
    });
    const result = SubmitDialog.show<ICreateRequest, IClusterModel>({
      title: 'New Dask Cluster',
      body,
      acceptLabel: 'Start',
      cancelLabel: 'Cancel',
      submit: async () => makeCluster({ id: 'new', state: 'starting' })
    });
    return { form, result };
  }

  it('shows the script of the options, refreshed when they change', async () => {
    const fetch = jest.fn(async (request: ICreateRequest) => ({
      script: `#!/bin/bash\n#SBATCH -n ${String(request.options.workers)}\n`
    }));
    const { form, result } = open(fetch);
    await waitFor(() => !!query('.jp-DaskClusters-previewScript')?.textContent?.includes('#SBATCH -n 2'));
    expect(query('.jp-DaskClusters-preview')?.dataset.status).toBe('ready');

    form.setValues({ ...form.values, workers: 5 });
    await waitFor(() => !!query('.jp-DaskClusters-previewScript')?.textContent?.includes('#SBATCH -n 5'));
    expect(fetch).toHaveBeenCalledTimes(2);
    expect(fetch.mock.calls[1][0]).toMatchObject({ type: 'batch', options: { workers: 5 } });

    // A type that cannot preview shows no panel and asks nothing.
    form.selectType('local');
    await waitFor(() => query('.jp-DaskClusters-preview') === null);
    await new Promise(resolve => setTimeout(resolve, 500));
    expect(fetch).toHaveBeenCalledTimes(2);

    query<HTMLButtonElement>('.jp-Dialog-button.jp-mod-reject')?.click();
    expect(await result).toBeNull();
  });

  it("shows the server's refusal next to the field, as Start does, and clears it once accepted", async () => {
    const fetch = jest.fn(async (request: ICreateRequest): Promise<IJobScript> => {
      if (request.options.memory === '99TiB') {
        throw new ApiError(422, {
          error: 'invalid-options',
          message: 'Some options are not valid.',
          fields: [
            { path: '/memory', message: 'more memory than any node of partition debug' },
            { path: '', message: 'sbatch refuses this job: bad QOS' }
          ]
        });
      }
      return { script: '#SBATCH --mem=4G' };
    });
    const { form, result } = open(fetch);
    await waitFor(() => query('.jp-DaskClusters-preview')?.dataset.status === 'ready');

    form.setValues({ ...form.values, memory: '99TiB' });
    const fieldOf = (id: string) => query(`#${id}`)?.closest('.form-group');
    await waitFor(() => !!fieldOf('root_memory')?.textContent?.includes('more memory than any node'));
    expect(query('.jp-DaskClusters-formError')?.textContent).toContain('sbatch refuses this job: bad QOS');
    expect(query('.jp-DaskClusters-preview')?.dataset.status).toBe('refused');
    expect(query('.jp-DaskClusters-previewScript')).toBeNull();

    form.setValues({ ...form.values, memory: '4GiB' });
    await waitFor(() => query('.jp-DaskClusters-preview')?.dataset.status === 'ready');
    expect(fieldOf('root_memory')?.textContent).not.toContain('more memory');
    expect(query('.jp-DaskClusters-formError')).toBeNull();

    query<HTMLButtonElement>('.jp-Dialog-button.jp-mod-reject')?.click();
    expect(await result).toBeNull();
  });
});
