import type { JupyterFrontEnd } from '@jupyterlab/application';
import { Clipboard, Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import type { ITranslator } from '@jupyterlab/translation';
import { addIcon, clearIcon, closeIcon, linkIcon, stopIcon } from '@jupyterlab/ui-components';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import type { IClusterModel } from '../protocol';
import { scaleIcon } from './icons';
import type { ClusterAction } from './lifecycle';
import { canPerform, isEnded } from './lifecycle';
import type { LastFocused } from './target';
import type { IDaskClusterManager, IDaskClusterSettings } from './tokens';
import { TRANSLATION_DOMAIN } from './tokens';

/**
 * The ids of every command of the extension.
 */
export namespace CommandIDs {
  /** Open the [+ New] dialog and start a cluster. */
  export const create = 'dask-clusters:new';
  /** Scale a cluster: {id}. */
  export const scale = 'dask-clusters:scale';
  /** Stop a cluster: {id}. */
  export const stop = 'dask-clusters:stop';
  /** Insert a cluster's client code into the last-focused notebook or console: {id}. */
  export const insertCode = 'dask-clusters:insert-code';
  /** Open a dashboard page in a tab: {id, path, title, name (of the cluster, optional)}. */
  export const openDashboard = 'dask-clusters:open-dashboard';
  /** Open several plots arranged together: {id, name} (a saved layout) or {id, plots}. */
  export const openLayout = 'dask-clusters:open-layout';
  /** Choose plots for a new dashboard layout, save it and open it: {id}. */
  export const editLayout = 'dask-clusters:new-layout';
  /** Copy a cluster's SSH tunnel command: {id}. */
  export const copyTunnel = 'dask-clusters:copy-tunnel';
  /** Clear an ended cluster from the list: {id}. */
  export const dismiss = 'dask-clusters:dismiss';
  /** Move here a cluster that keeps running from another JupyterLab server of this host: {id}. */
  export const adoptElsewhere = 'dask-clusters:adopt-elsewhere';
  /** Clear every ended cluster from the list. */
  export const clearEnded = 'dask-clusters:clear-ended';
  /** Take over a cluster that runs outside the companion: {type, name}. */
  export const adopt = 'dask-clusters:adopt';
  /** Show the last lines of a batch job's output and error files: {id, job}. */
  export const jobLog = 'dask-clusters:job-log';
}

/**
 * The command that lists and opens the dashboard at an address the user entered: {url}.
 */
export const OPEN_DASHBOARD_URL = 'dask-clusters:open-dashboard-url';

/**
 * The CSS class of a cluster item; also the context menu's selector.
 */
export const ITEM_CLASS = 'jp-DaskClusters-item';

/**
 * The cluster a command acts on: `args.id`, else the item under the context menu, else the only cluster the action applies to.
 */
export function resolveCluster(
  app: JupyterFrontEnd,
  manager: IDaskClusterManager,
  args: ReadonlyPartialJSONObject,
  action: ClusterAction
): IClusterModel | undefined {
  const id = typeof args.id === 'string' ? args.id : contextMenuCluster(app);
  if (id) {
    return manager.get(id);
  }
  // From the palette: act only when there is no doubt which cluster is meant:
  // the only one, or the only one made in the focused notebook.
  const eligible = manager.clusters.filter(c => canPerform(action, c));
  if (eligible.length === 1) {
    return eligible[0];
  }
  const focused = eligible.filter(c => c.origin?.active === true);
  return focused.length === 1 ? focused[0] : undefined;
}

/**
 * The class of a cluster in JupyterLab's Running panel; a context menu selector too.
 */
export const RUNNING_ITEM_CLASS = 'jp-DaskClusters-runningItem';

/**
 * The prefix of a Running panel item's `data-context`, followed by the cluster id.
 */
export const RUNNING_CONTEXT_PREFIX = 'dask-cluster:';

/**
 * The id of the cluster under the context menu: a sidebar item, or a cluster in the Running panel.
 */
function contextMenuCluster(app: JupyterFrontEnd): string | undefined {
  const node = app.contextMenuHitTest(
    node => node.classList.contains(ITEM_CLASS) || node.classList.contains(RUNNING_ITEM_CLASS)
  );
  if (node?.dataset.clusterId) {
    return node.dataset.clusterId;
  }
  const context = node?.dataset.context;
  return context?.startsWith(RUNNING_CONTEXT_PREFIX) ? context.slice(RUNNING_CONTEXT_PREFIX.length) : undefined;
}

/**
 * The message of an error, for a notification.
 */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Register the commands that start, scale, stop and clear clusters and copy their tunnel command.
 */
// eslint-disable-next-line max-lines-per-function -- one addCommand call per command, all sharing the options closure
export function addClusterCommands(
  app: JupyterFrontEnd,
  options: {
    manager: IDaskClusterManager;
    settings: IDaskClusterSettings;
    translator: ITranslator;
    target: LastFocused;
  }
): void {
  const { manager, settings, translator, target } = options;
  const { commands } = app;
  const trans = translator.load(TRANSLATION_DOMAIN);
  const applies = (action: ClusterAction) => (args: ReadonlyPartialJSONObject) =>
    canPerform(action, resolveCluster(app, manager, args, action));

  commands.addCommand(CommandIDs.create, {
    label: trans.__('New Dask Cluster…'),
    caption: trans.__('Start a new Dask cluster'),
    icon: addIcon,
    execute: async () => {
      // The dialog and its form load on first use, not with the page.
      const { showNewClusterDialog } = await import('./dialogs/newcluster');
      await showNewClusterDialog({
        manager,
        settings,
        translator,
        kernelName: target.kernelName()
      });
    }
  });

  commands.addCommand(CommandIDs.scale, {
    label: trans.__('Scale Dask Cluster…'),
    caption: trans.__('Set a fixed number of workers or adaptive bounds'),
    icon: scaleIcon,
    isEnabled: applies('scale'),
    isVisible: applies('scale'),
    execute: async args => {
      const cluster = resolveCluster(app, manager, args, 'scale');
      if (cluster) {
        const { showScaleDialog } = await import('./dialogs/scale');
        await showScaleDialog({ cluster, manager, translator });
      }
    }
  });

  commands.addCommand(CommandIDs.stop, {
    label: trans.__('Stop Dask Cluster'),
    caption: trans.__('Shut down the scheduler and its workers'),
    icon: stopIcon,
    isEnabled: applies('stop'),
    isVisible: applies('stop'),
    execute: async args => {
      const cluster = resolveCluster(app, manager, args, 'stop');
      if (!cluster) {
        return;
      }
      const owner = cluster.elsewhere;
      // Another server's cluster is stopped only on the user's explicit choice, whatever confirmStop says.
      if (owner || settings.current.confirmStop) {
        const answer = await showDialog({
          title: owner
            ? trans.__('Stop cluster %1 in another JupyterLab?', cluster.name)
            : trans.__('Stop cluster %1?', cluster.name),
          body: !owner
            ? trans.__('Its scheduler and workers shut down; results held on the workers are lost.')
            : owner.sameHost
              ? trans.__(
                  'It runs in the JupyterLab on %1 (companion pid %2), which stops it: its scheduler and workers shut down; results held on the workers are lost.',
                  owner.host,
                  owner.pid
                )
              : trans.__(
                  'It runs in the JupyterLab on %1 (companion pid %2), which cannot be reached from here. Stopping it here cancels its batch jobs; processes it runs on %1 are not stopped. Stop it there if you can.',
                  owner.host,
                  owner.pid
                ),
          buttons: [Dialog.cancelButton({ label: trans.__('Cancel') }), Dialog.warnButton({ label: trans.__('Stop') })]
        });
        if (!answer.button.accept) {
          return;
        }
      }
      try {
        await manager.stop(cluster.id);
        Notification.success(
          owner?.sameHost
            ? trans.__('Asked the JupyterLab on %1 to stop cluster %2', owner.host, cluster.name)
            : owner
              ? trans.__('Stopped cluster %1 from here; its batch jobs are being cancelled', cluster.name)
              : trans.__('Stopping cluster %1', cluster.name),
          { autoClose: 3000 }
        );
      } catch (error) {
        Notification.error(trans.__('Could not stop %1: %2', cluster.name, errorMessage(error)));
      }
    }
  });

  commands.addCommand(CommandIDs.adoptElsewhere, {
    label: trans.__('Adopt Dask Cluster Here'),
    caption: trans.__('Manage here a cluster that another JupyterLab of yours on this host runs'),
    isEnabled: applies('adopt-elsewhere'),
    isVisible: applies('adopt-elsewhere'),
    execute: async args => {
      const cluster = resolveCluster(app, manager, args, 'adopt-elsewhere');
      if (!cluster) {
        return;
      }
      try {
        await manager.adoptElsewhere(cluster.id);
        Notification.success(trans.__('Cluster %1 is managed here now', cluster.name), { autoClose: 3000 });
      } catch (error) {
        Notification.error(trans.__('Could not adopt %1: %2', cluster.name, errorMessage(error)));
      }
    }
  });

  commands.addCommand(CommandIDs.dismiss, {
    label: trans.__('Clear Dask Cluster'),
    caption: trans.__('Remove this ended cluster from the list'),
    icon: closeIcon,
    isEnabled: applies('dismiss'),
    isVisible: applies('dismiss'),
    execute: async args => {
      const cluster = resolveCluster(app, manager, args, 'dismiss');
      if (!cluster) {
        return;
      }
      try {
        await manager.stop(cluster.id);
      } catch (error) {
        Notification.error(trans.__('Could not clear %1: %2', cluster.name, errorMessage(error)));
      }
    }
  });

  // Clusters made in notebook code, or of another JupyterLab server, are not the companion's to forget.
  const endedHere = () => manager.clusters.some(c => isEnded(c.state) && !c.origin && !c.elsewhere);
  commands.addCommand(CommandIDs.clearEnded, {
    label: trans.__('Clear Ended Dask Clusters'),
    caption: trans.__('Remove every stopped, failed or lost cluster from the list; running ones stay'),
    icon: clearIcon,
    isEnabled: endedHere,
    execute: async () => {
      try {
        const forgotten = await manager.clearEnded();
        Notification.success(trans._n('Cleared %1 ended cluster', 'Cleared %1 ended clusters', forgotten.length), {
          autoClose: 3000
        });
      } catch (error) {
        Notification.error(trans.__('Could not clear the ended clusters: %1', errorMessage(error)));
      }
    }
  });
  // Toolbar buttons and menus follow the list.
  manager.changed.connect(() => commands.notifyCommandChanged(CommandIDs.clearEnded));

  commands.addCommand(CommandIDs.copyTunnel, {
    label: trans.__('Copy SSH Tunnel Command'),
    caption: trans.__('Copy a command that forwards the dashboard to your own computer'),
    icon: linkIcon,
    isEnabled: applies('copy-tunnel'),
    isVisible: applies('copy-tunnel'),
    execute: args => {
      const cluster = resolveCluster(app, manager, args, 'copy-tunnel');
      if (cluster?.tunnelCommand) {
        Clipboard.copyToSystem(cluster.tunnelCommand);
        Notification.success(
          trans.__(
            'Copied: %1 — run it in a terminal on your computer, then open http://localhost:8787/status',
            cluster.tunnelCommand
          ),
          { autoClose: 8000 }
        );
      }
    }
  });
}
