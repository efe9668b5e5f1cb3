/**
 * @packageDocumentation
 * @module jupyterlab-dask-clusters
 *
 * Declares the plugins and wires them together; the work lives in the modules.
 */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ILayoutRestorer } from '@jupyterlab/application';
import { ICommandPalette, Notification } from '@jupyterlab/apputils';
import { IConsoleTracker } from '@jupyterlab/console';
import { INotebookTracker } from '@jupyterlab/notebook';
import { IRunningSessionManagers } from '@jupyterlab/running';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator } from '@jupyterlab/translation';
import { IFormRendererRegistry } from '@jupyterlab/ui-components';
import { addAdoptCommand } from './adopt';
import { ClusterClient } from './api/client';
import { addClusterCommands, CommandIDs, errorMessage } from './commands';
import { CompanionSettingsSync } from './companionsettings';
import { addDashboardCommand } from './dashboards/commands';
import { addLayoutCommands } from './dashboards/layouts';
import { addInsertCodeCommand } from './insertcode';
import { addJobLogCommand } from './jobs/commands';
import { addKernelClusters } from './kernel/plugin';
import { ClusterManager } from './manager';
import { notifyClusterEnds } from './notifications';
import { addRunningClusters } from './running';
import { ClusterSettings, SETTINGS_ID } from './settings';
import { addSettingsFieldsOnDemand } from './settingsfields';
import { LazyClusterSidebar } from './sidebar/shell';
import { LastFocused } from './target';
import { IDaskClusterManager, IDaskClusterSettings, SIDEBAR_ID, TRANSLATION_DOMAIN } from './tokens';

export { CommandIDs } from './commands';
export { IDaskClusterManager, IDaskClusterSettings } from './tokens';

/**
 * The settings plugin: its id names `schema/plugin.json`.
 */
const settingsPlugin: JupyterFrontEndPlugin<IDaskClusterSettings> = {
  id: SETTINGS_ID,
  description: 'Provides the per-user settings of the Dask clusters extension.',
  autoStart: true,
  provides: IDaskClusterSettings,
  optional: [ISettingRegistry],
  activate: async (_: JupyterFrontEnd, registry: ISettingRegistry | null): Promise<IDaskClusterSettings> => {
    if (registry) {
      try {
        return new ClusterSettings(await registry.load(SETTINGS_ID));
      } catch (reason) {
        console.warn('Dask clusters: settings could not be loaded', reason);
      }
    }
    return new ClusterSettings(null);
  }
};

/**
 * The manager plugin: REST client, event stream and live store.
 */
const managerPlugin: JupyterFrontEndPlugin<IDaskClusterManager> = {
  id: 'jupyterlab-dask-clusters:manager',
  description: 'Provides the live list of Dask clusters and the verbs on them.',
  autoStart: true,
  provides: IDaskClusterManager,
  activate: (app: JupyterFrontEnd): IDaskClusterManager =>
    new ClusterManager({
      client: new ClusterClient({
        serverSettings: app.serviceManager.serverSettings
      })
    })
};

/**
 * The sidebar plugin: the cluster list and the commands that start, scale and stop clusters.
 */
const sidebarPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-dask-clusters:sidebar',
  description: 'Adds the Dask clusters sidebar and its commands.',
  autoStart: true,
  requires: [IDaskClusterManager, IDaskClusterSettings, ITranslator],
  optional: [ILayoutRestorer, ICommandPalette, INotebookTracker, IConsoleTracker],
  activate: (
    app: JupyterFrontEnd,
    manager: IDaskClusterManager,
    settings: IDaskClusterSettings,
    translator: ITranslator,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    notebooks: INotebookTracker | null,
    consoles: IConsoleTracker | null
  ): void => {
    const target = new LastFocused(notebooks, consoles);
    addClusterCommands(app, { manager, settings, translator, target });
    addAdoptCommand(app, { manager, translator });
    const trans = translator.load(TRANSLATION_DOMAIN);
    new CompanionSettingsSync({
      manager,
      settings,
      onError: error => Notification.error(trans.__('The Dask Clusters settings were refused: %1', errorMessage(error)))
    });
    addJobLogCommand(app, { manager, translator });
    const sidebar = new LazyClusterSidebar({
      manager,
      commands: app.commands,
      translator,
      settings
    });
    app.shell.add(sidebar, 'left', { rank: 650 });
    restorer?.add(sidebar, SIDEBAR_ID);
    addToPalette(palette, translator, [
      CommandIDs.create,
      CommandIDs.scale,
      CommandIDs.stop,
      CommandIDs.copyTunnel,
      CommandIDs.dismiss,
      CommandIDs.clearEnded,
      CommandIDs.adopt
    ]);
    notifyClusterEnds(manager, { translator, show: () => app.shell.activateById(sidebar.id) });
  }
};

/**
 * The dashboards plugin: plots in main-area tabs that come back after a reload.
 */
const dashboardsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-dask-clusters:dashboards',
  description: 'Opens Dask dashboard plots as tabs.',
  autoStart: true,
  requires: [IDaskClusterManager, IDaskClusterSettings, ITranslator],
  optional: [ILayoutRestorer, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    manager: IDaskClusterManager,
    settings: IDaskClusterSettings,
    translator: ITranslator,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null
  ): void => {
    const opener = addDashboardCommand(app, { manager, translator, restorer });
    addLayoutCommands(app, { manager, settings, translator, opener });
    addToPalette(palette, translator, [CommandIDs.openDashboard, CommandIDs.editLayout]);
  }
};

/**
 * The settings form plugin: the Settings Editor offers cluster types as a choice and prints each description once.
 */
const settingsFormPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-dask-clusters:settings-form',
  description: 'Adds the fields of the Dask clusters settings to the Settings Editor.',
  autoStart: true,
  requires: [IDaskClusterManager, ITranslator],
  optional: [IFormRendererRegistry],
  activate: (
    _: JupyterFrontEnd,
    manager: IDaskClusterManager,
    translator: ITranslator,
    registry: IFormRendererRegistry | null
  ): void => {
    if (registry) {
      addSettingsFieldsOnDemand(registry, {
        loadTypes: () => manager.client.types(),
        trans: translator.load(TRANSLATION_DOMAIN)
      });
    }
  }
};

/**
 * The running plugin: our clusters as a section of JupyterLab's Running panel.
 */
const runningPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-dask-clusters:running',
  description: "Lists the Dask clusters in JupyterLab's Running panel.",
  autoStart: true,
  requires: [IDaskClusterManager, ITranslator, IRunningSessionManagers],
  activate: (
    app: JupyterFrontEnd,
    manager: IDaskClusterManager,
    translator: ITranslator,
    managers: IRunningSessionManagers
  ): void => {
    addRunningClusters(managers, {
      manager,
      commands: app.commands,
      translator
    });
  }
};

/**
 * The code plugin: client code into the last-focused notebook or console.
 */
const insertCodePlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-dask-clusters:insert-code',
  description: 'Inserts the code that connects a kernel to a Dask cluster.',
  autoStart: true,
  requires: [IDaskClusterManager, ITranslator],
  optional: [INotebookTracker, IConsoleTracker, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    manager: IDaskClusterManager,
    translator: ITranslator,
    notebooks: INotebookTracker | null,
    consoles: IConsoleTracker | null,
    palette: ICommandPalette | null
  ): void => {
    const target = new LastFocused(notebooks, consoles);
    addInsertCodeCommand(app, { manager, translator, target });
    addToPalette(palette, translator, [CommandIDs.insertCode]);
  }
};

/**
 * The kernel plugin: clusters made in notebook and console code, listed with the others.
 */
const kernelClustersPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-dask-clusters:kernel-clusters',
  description: 'Lists the Dask clusters made in notebook and console code.',
  autoStart: true,
  requires: [IDaskClusterManager, ITranslator],
  optional: [INotebookTracker, IConsoleTracker],
  activate: (
    app: JupyterFrontEnd,
    manager: IDaskClusterManager,
    translator: ITranslator,
    notebooks: INotebookTracker | null,
    consoles: IConsoleTracker | null
  ): void => {
    addKernelClusters(app, { manager, translator, notebooks, consoles });
  }
};

/**
 * Add commands to the palette under the "Dask" category.
 */
function addToPalette(palette: ICommandPalette | null, translator: ITranslator, commands: string[]): void {
  if (!palette) {
    return;
  }
  const category = translator.load(TRANSLATION_DOMAIN).__('Dask');
  for (const command of commands) {
    palette.addItem({ command, category });
  }
}

export default [
  settingsPlugin,
  managerPlugin,
  kernelClustersPlugin,
  sidebarPlugin,
  dashboardsPlugin,
  insertCodePlugin,
  runningPlugin,
  settingsFormPlugin
];
