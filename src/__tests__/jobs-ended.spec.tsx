import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';
import { ClusterSidebar } from '../sidebar/sidebar';
import { FakeManager, makeCluster } from './fixtures';
import { waitFor } from './wait';

describe('a batch job ended by the batch system', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  it("shows the row's end and why, and the item's note of what dask-jobqueue does next", async () => {
    const manager = new FakeManager();
    const sidebar = new ClusterSidebar({ manager, commands: new CommandRegistry(), translator: nullTranslator });
    Widget.attach(sidebar, document.body);
    const note =
      'Job 36 ended: cancelled outside JupyterLab (CANCELLED). dask-jobqueue does not replace it: ' +
      'scale the cluster (even to the same number of workers) to submit new jobs.';
    manager.emit({
      kind: 'snapshot',
      clusters: [
        makeCluster({
          id: 'hpc',
          type: 'slurm',
          jobs: [{ id: '36', state: 'CANCELLED', reason: 'cancelled outside JupyterLab (CANCELLED)' }],
          jobsNote: note
        })
      ]
    });
    const item = () => sidebar.node.querySelector<HTMLElement>('.jp-DaskClusters-item[data-cluster-id="hpc"]');
    await waitFor(() => (item()?.querySelector('.jp-DaskClusters-job') ?? null) !== null);
    const row = item()!.querySelector<HTMLElement>('.jp-DaskClusters-job')!;
    expect(row.querySelector('.jp-DaskClusters-jobState')?.textContent).toBe('CANCELLED');
    expect(row.querySelector('.jp-DaskClusters-jobReason')?.textContent).toBe(
      'cancelled outside JupyterLab (CANCELLED)'
    );
    const alerts = [...item()!.querySelectorAll<HTMLElement>('.jp-DaskClusters-warning')];
    expect(alerts.map(alert => alert.textContent)).toEqual([note]);

    // Once dask-jobqueue forgot the job, the note still says what happened.
    manager.emit({ kind: 'cluster', cluster: makeCluster({ id: 'hpc', type: 'slurm', jobs: [], jobsNote: note }) });
    await waitFor(() => item() !== null && item()!.querySelector('.jp-DaskClusters-job') === null);
    expect(item()!.querySelector('.jp-DaskClusters-warning')?.textContent).toBe(note);
  });
});
