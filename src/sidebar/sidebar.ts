import type { ITranslator } from '@jupyterlab/translation';
import { addIcon, clearIcon, CommandToolbarButton, SidePanel, ToolbarButton } from '@jupyterlab/ui-components';
import type { CommandRegistry } from '@lumino/commands';
import { Panel, Widget } from '@lumino/widgets';
import { CommandIDs } from '../commands';
import { daskIcon } from '../icons';
import { DashboardUrlBox } from '../kernel/dashboardurl';
import type { IDaskClusterManager, IDaskClusterSettings } from '../tokens';
import { SIDEBAR_ID, TRANSLATION_DOMAIN } from '../tokens';
import { ExternalClusterListView } from './external';
import { ClusterListView } from './list';
import '../../style/base.css';
import '../../style/external.css';
import '../../style/plots.css';

export { SIDEBAR_ID } from '../tokens';

/**
 * The left-area panel: a title, a toolbar with [+ New] and Clear ended, the live cluster list and the adoptable clusters.
 */
export class ClusterSidebar extends SidePanel {
  /**
   * Create the sidebar.
   */
  constructor(options: ClusterSidebar.IOptions) {
    // One list, no accordion: a plain panel as the content.
    super({ translator: options.translator, content: new Panel() });
    const trans = options.translator.load(TRANSLATION_DOMAIN);
    this.id = options.id ?? SIDEBAR_ID;
    this.addClass('jp-DaskClusters-sidebar');
    this.title.icon = daskIcon;
    this.title.caption = trans.__('Dask Clusters');
    this.node.setAttribute('role', 'region');
    this.node.setAttribute('aria-label', trans.__('Dask Clusters'));

    const heading = document.createElement('h2');
    heading.textContent = trans.__('Dask Clusters');
    const header = new Widget({ node: heading });
    header.addClass('jp-DaskClusters-title');
    this.header.addWidget(header);

    this.toolbar.addItem(
      'new',
      new ToolbarButton({
        className: 'jp-DaskClusters-new',
        icon: addIcon,
        label: trans.__('New'),
        tooltip: trans.__('Start a new Dask cluster'),
        onClick: () => void options.commands.execute(CommandIDs.create)
      })
    );
    const clearEnded = new CommandToolbarButton({
      commands: options.commands,
      id: CommandIDs.clearEnded,
      icon: clearIcon,
      label: trans.__('Clear ended'),
      caption: trans.__('Remove every stopped, failed or lost cluster from the list; running ones stay')
    });
    clearEnded.addClass('jp-DaskClusters-clearEnded');
    this.toolbar.addItem('clear-ended', clearEnded);
    this.addWidget(
      new ClusterListView({
        manager: options.manager,
        commands: options.commands,
        translator: options.translator,
        settings: options.settings
      })
    );
    this.addWidget(
      new DashboardUrlBox({
        commands: options.commands,
        translator: options.translator
      })
    );
    this.addWidget(
      new ExternalClusterListView({
        manager: options.manager,
        commands: options.commands,
        translator: options.translator
      })
    );
  }
}

/**
 * The namespace of `ClusterSidebar` statics.
 */
export namespace ClusterSidebar {
  /**
   * Options of the sidebar.
   */
  export interface IOptions {
    /**
     * The widget's id; the sidebar's own when absent.
     */
    id?: string;
    manager: IDaskClusterManager;
    commands: CommandRegistry;
    translator: ITranslator;
    /**
     * The user's settings, for the saved dashboard layouts.
     */
    settings?: IDaskClusterSettings;
  }
}
