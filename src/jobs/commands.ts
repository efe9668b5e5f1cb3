import type { JupyterFrontEnd } from '@jupyterlab/application';
import { MainAreaWidget } from '@jupyterlab/apputils';
import type { ITranslator } from '@jupyterlab/translation';
import { textEditorIcon } from '@jupyterlab/ui-components';
import { CommandIDs } from '../commands';
import { canPerform } from '../lifecycle';
import type { JobLogView } from './logview';
import type { IDaskClusterManager } from '../tokens';
import { TRANSLATION_DOMAIN } from '../tokens';

/**
 * Register the command that opens a batch job's output and error files in a tab (one tab per job).
 */
export function addJobLogCommand(
  app: JupyterFrontEnd,
  options: { manager: IDaskClusterManager; translator: ITranslator }
): void {
  const { manager, translator } = options;
  const trans = translator.load(TRANSLATION_DOMAIN);
  const open = new Map<string, MainAreaWidget<JobLogView>>();

  app.commands.addCommand(CommandIDs.jobLog, {
    label: args => (typeof args.job === 'string' ? trans.__('Show Log of Job %1', args.job) : trans.__('Show Job Log')),
    caption: trans.__("Show the last lines of a job's output and error files"),
    icon: textEditorIcon,
    isEnabled: args =>
      typeof args.id === 'string' && typeof args.job === 'string' && canPerform('job-log', manager.get(args.id)),
    execute: async args => {
      if (typeof args.id !== 'string' || typeof args.job !== 'string') {
        return;
      }
      const key = `${args.id}/${args.job}`;
      const shown = () => {
        const existing = open.get(key);
        if (existing && !existing.isDisposed) {
          app.shell.activateById(existing.id);
          return true;
        }
        return false;
      };
      if (shown()) {
        return;
      }
      // The log view loads on first use, not with the page.
      const { JobLogModel, JobLogView } = await import('./logview');
      if (shown()) {
        return; // a second click opened it while the view loaded
      }
      const model = new JobLogModel({ manager, clusterId: args.id, job: args.job });
      const content = new JobLogView({ model, manager, trans });
      const widget = new MainAreaWidget({ content });
      widget.id = `dask-clusters-job-log-${args.id}-${args.job}`;
      widget.title.label = trans.__('Job %1 log', args.job);
      widget.title.icon = textEditorIcon;
      widget.title.closable = true;
      widget.addClass('jp-DaskClusters-jobLogPanel');
      open.set(key, widget);
      widget.disposed.connect(() => open.delete(key));
      app.shell.add(widget, 'main', { mode: 'split-bottom' });
      app.shell.activateById(widget.id);
    }
  });
}
