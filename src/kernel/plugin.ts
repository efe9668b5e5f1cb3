import type { JupyterFrontEnd } from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import type { IConsoleTracker } from '@jupyterlab/console';
import type { INotebookTracker } from '@jupyterlab/notebook';
import type { ITranslator } from '@jupyterlab/translation';
import { Signal } from '@lumino/signaling';
import type { IClusterModel, IPlot } from '../../protocol';
import { CommandIDs, errorMessage, OPEN_DASHBOARD_URL } from '../commands';
import type { IClusterSource, IDaskClusterManager } from '../tokens';
import { TRANSLATION_DOMAIN } from '../tokens';
import type { IKernelPanelTracker, KernelClusters } from './model';

/**
 * List the clusters made in the code of open notebooks and consoles with the manager's others.
 *
 * The kernel side (its bootstrap code, the comms, the reports) loads with the first notebook or
 * console, or when a dashboard address is entered, not with the page.
 */
export function addKernelClusters(
  app: JupyterFrontEnd,
  options: {
    manager: IDaskClusterManager;
    translator: ITranslator;
    notebooks: INotebookTracker | null;
    consoles: IConsoleTracker | null;
  }
): void {
  const { manager, notebooks, consoles } = options;
  const trackers: { tracker: IKernelPanelTracker; kind: 'notebook' | 'console' }[] = [];
  if (notebooks) {
    trackers.push({ tracker: notebooks, kind: 'notebook' });
  }
  if (consoles) {
    trackers.push({ tracker: consoles, kind: 'console' });
  }
  let clusters: Promise<KernelClusters> | null = null;
  // Until the code is there, and until the page is restored, the list is not complete: restored
  // dashboard tabs of kernel clusters wait for it as they wait for busy kernels.
  const pending = new Private.Pending(app.restored);
  const pendingSource = manager.addSource(pending);
  const load = (): Promise<KernelClusters> => {
    if (clusters === null) {
      pending.loading = true;
      clusters = import('./model')
        .then(({ KernelClusters }) => {
          const source = new KernelClusters({
            client: manager.client,
            translator: options.translator,
            trackers,
            restored: app.restored
          });
          manager.addSource(source);
          return source;
        })
        .finally(() => pendingSource.dispose());
    }
    return clusters;
  };
  for (const { tracker } of trackers) {
    // Panels the tracker holds already (opened before this plugin started), then every new one.
    tracker.forEach(() => void load());
    tracker.widgetAdded.connect(() => void load());
  }
  const trans = options.translator.load(TRANSLATION_DOMAIN);
  app.commands.addCommand(OPEN_DASHBOARD_URL, {
    label: trans.__('Open a Dask Dashboard by Address'),
    caption: trans.__('List the dashboard at an address and open its status page in a tab'),
    execute: async args => {
      try {
        const id = await (await load()).addDashboard(String(args.url ?? ''));
        await app.commands.execute(CommandIDs.openDashboard, {
          id,
          path: 'status',
          title: trans.__('Status')
        });
      } catch (error) {
        Notification.error(trans.__('Could not open that dashboard: %1', errorMessage(error)));
      }
    }
  });
}

namespace Private {
  /**
   * Stands for the kernel clusters until their code is loaded: lists nothing, and is ready once the
   * page is restored without a notebook or console (none of their clusters can exist yet).
   */
  export class Pending implements IClusterSource {
    constructor(restored: Promise<void>) {
      void restored.then(() => {
        this._restored = true;
        this.changed.emit();
      });
    }

    readonly changed = new Signal<this, void>(this);
    readonly clusters: ReadonlyArray<IClusterModel> = [];

    /**
     * Whether the kernel clusters' code is being loaded (then the loaded source says when it is ready).
     */
    set loading(value: boolean) {
      this._loading = value;
      this.changed.emit();
    }

    get ready(): boolean {
      return this._restored && !this._loading;
    }

    has(): boolean {
      return false;
    }

    scale(): Promise<void> {
      return Private.notYet();
    }

    stop(): Promise<void> {
      return Private.notYet();
    }

    snippet(): Promise<string> {
      return Private.notYet();
    }

    plots(): Promise<IPlot[]> {
      return Private.notYet();
    }

    private _restored = false;
    private _loading = false;
  }

  /**
   * The answer of a verb on a kernel cluster before their code is loaded (none is listed then).
   */
  export function notYet(): Promise<never> {
    return Promise.reject(new Error('The clusters made in notebook code are still loading.'));
  }
}
