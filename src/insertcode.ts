import type { JupyterFrontEnd } from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import type { ITranslator } from '@jupyterlab/translation';
import { codeIcon } from '@jupyterlab/ui-components';
import { CommandIDs, errorMessage, resolveCluster } from './commands';
import { canPerform } from './lifecycle';
import type { LastFocused } from './target';
import type { IDaskClusterManager } from './tokens';
import { TRANSLATION_DOMAIN } from './tokens';

/**
 * Register the command that puts a cluster's client code into the last-focused notebook or console.
 */
export function addInsertCodeCommand(
  app: JupyterFrontEnd,
  options: {
    manager: IDaskClusterManager;
    translator: ITranslator;
    target: LastFocused;
  }
): void {
  const { manager, translator, target } = options;
  const trans = translator.load(TRANSLATION_DOMAIN);
  const applies = (args: Parameters<typeof resolveCluster>[2]) =>
    canPerform('insert-code', resolveCluster(app, manager, args, 'insert-code'));

  app.commands.addCommand(CommandIDs.insertCode, {
    label: trans.__('Insert Dask Client Code'),
    caption: trans.__('Insert code that connects to this cluster below the active cell'),
    icon: codeIcon,
    isEnabled: applies,
    isVisible: applies,
    execute: async args => {
      const cluster = resolveCluster(app, manager, args, 'insert-code');
      if (!cluster) {
        return;
      }
      const destination = target.current;
      if (!destination) {
        Notification.warning(trans.__('Open a notebook or a console to insert the client code.'), { autoClose: 5000 });
        return;
      }
      let code: string;
      try {
        code = await manager.snippet(cluster.id);
      } catch (error) {
        Notification.error(trans.__('Could not get the client code: %1', errorMessage(error)));
        return;
      }
      // The cell and console plumbing loads on first use, not with the page.
      const { insertCodeBelow, putInConsole } = await import('./snippets');
      if (destination.kind === 'notebook') {
        insertCodeBelow(destination.panel.content, code);
      } else if (!putInConsole(destination.panel.console, code)) {
        Notification.warning(trans.__('The console is not ready yet.'));
        return;
      }
      app.shell.activateById(destination.panel.id);
    }
  });
}
