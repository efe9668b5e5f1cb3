import type { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import type { CommandRegistry } from '@lumino/commands';
import React from 'react';
import type { IDaskClusterManager, IDaskClusterSettings } from '../tokens';
import { TRANSLATION_DOMAIN } from '../tokens';
import type { IItemContext } from './item';
import { ClusterItem } from './item';

/**
 * The live list of clusters, re-rendered on every change of the manager.
 */
export class ClusterListView extends ReactWidget {
  /**
   * Create the list.
   */
  constructor(options: ClusterListView.IOptions) {
    super();
    this._context = {
      manager: options.manager,
      commands: options.commands,
      trans: options.translator.load(TRANSLATION_DOMAIN),
      settings: options.settings
    };
    this.addClass('jp-DaskClusters-list');
  }

  protected render(): JSX.Element {
    const context = this._context;
    return <UseSignal signal={context.manager.changed}>{() => <ClusterList context={context} />}</UseSignal>;
  }

  private _context: IItemContext;
}

/**
 * The namespace of `ClusterListView` statics.
 */
export namespace ClusterListView {
  /**
   * Options of the list.
   */
  export interface IOptions {
    manager: IDaskClusterManager;
    commands: CommandRegistry;
    translator: ITranslator;
    /**
     * The user's settings, for the saved dashboard layouts.
     */
    settings?: IDaskClusterSettings;
  }
}

/**
 * The connection state when it is not simply open, then the clusters.
 */
function ClusterList(props: { context: IItemContext }): JSX.Element {
  const { manager, trans } = props.context;
  const status = statusMessage(manager, trans);
  const clusters = manager.clusters;
  return (
    <>
      {status && (
        <div className="jp-DaskClusters-status" role="status">
          {status}
        </div>
      )}
      {manager.hasSnapshot && clusters.length === 0 && (
        <div className="jp-DaskClusters-empty">{trans.__('No clusters yet. Start one with New.')}</div>
      )}
      <ul className="jp-DaskClusters-items">
        {clusters.map(cluster => (
          <ClusterItem key={cluster.id} cluster={cluster} context={props.context} />
        ))}
      </ul>
    </>
  );
}

/**
 * A line about the event stream, or nothing while it is open and complete.
 */
function statusMessage(manager: IDaskClusterManager, trans: TranslationBundle): string {
  switch (manager.status) {
    case 'connecting':
      return manager.hasSnapshot
        ? trans.__('Reconnecting to the cluster service…')
        : trans.__('Connecting to the cluster service…');
    case 'closed':
      return trans.__('The cluster service is unreachable; retrying…');
    case 'open':
      return manager.hasSnapshot ? '' : trans.__('Loading clusters…');
  }
}
