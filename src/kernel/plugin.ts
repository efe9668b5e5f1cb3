import type { JupyterFrontEnd } from '@jupyterlab/application';
import type { IConsoleTracker } from '@jupyterlab/console';
import type { INotebookTracker } from '@jupyterlab/notebook';
import type { ITranslator } from '@jupyterlab/translation';
import type { IDaskClusterManager } from '../tokens';
import type { IKernelPanelTracker } from './model';
import { KernelClusters } from './model';

/**
 * List the clusters made in the code of open notebooks and consoles with the manager's others.
 */
export function addKernelClusters(
  app: JupyterFrontEnd,
  options: {
    manager: IDaskClusterManager;
    translator: ITranslator;
    notebooks: INotebookTracker | null;
    consoles: IConsoleTracker | null;
  }
): KernelClusters {
  const { manager, notebooks, consoles } = options;
  const trackers: { tracker: IKernelPanelTracker; kind: 'notebook' | 'console' }[] = [];
  if (notebooks) {
    trackers.push({ tracker: notebooks, kind: 'notebook' });
  }
  if (consoles) {
    trackers.push({ tracker: consoles, kind: 'console' });
  }
  const clusters = new KernelClusters({
    client: manager.client,
    translator: options.translator,
    trackers,
    restored: app.restored
  });
  manager.addSource(clusters);
  return clusters;
}
