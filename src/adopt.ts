import type { JupyterFrontEnd } from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import type { ITranslator } from '@jupyterlab/translation';
import { downloadIcon } from '@jupyterlab/ui-components';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import type { IExternalCluster } from '../protocol';
import { CommandIDs, errorMessage } from './commands';
import type { IDaskClusterManager } from './tokens';
import { TRANSLATION_DOMAIN } from './tokens';

/**
 * The CSS class of an adoptable cluster in the sidebar; also the context menu's selector.
 */
export const EXTERNAL_CLASS = 'jp-DaskClusters-external';

/**
 * The external cluster a command acts on: `args.type` and `args.name`, else the
 * entry under the context menu, else the only one there is.
 */
export function resolveExternal(
  external: ReadonlyArray<IExternalCluster>,
  args: ReadonlyPartialJSONObject,
  underMenu?: { type?: string; name?: string }
): IExternalCluster | undefined {
  const type = typeof args.type === 'string' ? args.type : underMenu?.type;
  const name = typeof args.name === 'string' ? args.name : underMenu?.name;
  if (name) {
    return external.find(c => c.name === name && (!type || c.type === type));
  }
  // From the palette: act only when there is no doubt which cluster is meant.
  return external.length === 1 ? external[0] : undefined;
}

/**
 * Register the command that adopts a cluster running outside the companion: {type, name}.
 */
export function addAdoptCommand(
  app: JupyterFrontEnd,
  options: { manager: IDaskClusterManager; translator: ITranslator }
): void {
  const { manager, translator } = options;
  const trans = translator.load(TRANSLATION_DOMAIN);
  const resolve = (args: ReadonlyPartialJSONObject) =>
    resolveExternal(
      manager.external,
      args,
      app.contextMenuHitTest(node => node.classList.contains(EXTERNAL_CLASS))?.dataset
    );

  app.commands.addCommand(CommandIDs.adopt, {
    label: args =>
      typeof args.name === 'string' ? trans.__('Adopt Dask Cluster %1', args.name) : trans.__('Adopt Dask Cluster'),
    caption: trans.__('Manage this cluster from the sidebar: dashboards, client code, scale and stop'),
    icon: downloadIcon,
    isEnabled: args => resolve(args) !== undefined,
    execute: async args => {
      const external = resolve(args);
      if (!external) {
        return;
      }
      try {
        const cluster = await manager.adopt(external);
        Notification.success(trans.__('Adopted cluster %1', cluster.name), {
          autoClose: 3000
        });
      } catch (error) {
        Notification.error(trans.__('Could not adopt %1: %2', external.name, errorMessage(error)));
      }
    }
  });
}
