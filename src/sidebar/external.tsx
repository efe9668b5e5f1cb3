import type { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import type { CommandRegistry } from '@lumino/commands';
import React from 'react';
import type { IExternalCluster } from '../../protocol';
import { EXTERNAL_CLASS } from '../adopt';
import { CommandIDs } from '../commands';
import { formatStart } from '../format';
import type { IDaskClusterManager } from '../tokens';
import { TRANSLATION_DOMAIN } from '../tokens';

/**
 * The clusters that run outside the companion (e.g. made from notebook code),
 * each with an Adopt button; hidden while there are none.
 */
export class ExternalClusterListView extends ReactWidget {
  /**
   * Create the section.
   */
  constructor(options: ExternalClusterListView.IOptions) {
    super();
    this._manager = options.manager;
    this._commands = options.commands;
    this._trans = options.translator.load(TRANSLATION_DOMAIN);
    this.addClass('jp-DaskClusters-externalSection');
  }

  protected render(): JSX.Element {
    return (
      <UseSignal signal={this._manager.changed}>
        {() => <ExternalList clusters={this._manager.external} commands={this._commands} trans={this._trans} />}
      </UseSignal>
    );
  }

  private _manager: IDaskClusterManager;
  private _commands: CommandRegistry;
  private _trans: TranslationBundle;
}

/**
 * The namespace of `ExternalClusterListView` statics.
 */
export namespace ExternalClusterListView {
  /**
   * Options of the section.
   */
  export interface IOptions {
    manager: IDaskClusterManager;
    commands: CommandRegistry;
    translator: ITranslator;
  }
}

/**
 * A heading and one row per adoptable cluster, or nothing.
 */
function ExternalList(props: {
  clusters: ReadonlyArray<IExternalCluster>;
  commands: CommandRegistry;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { clusters, commands, trans } = props;
  if (clusters.length === 0) {
    return null;
  }
  return (
    <section aria-label={trans.__('Clusters not managed here')}>
      <h3 className="jp-DaskClusters-title jp-DaskClusters-externalTitle">{trans.__('Not managed here')}</h3>
      <p className="jp-DaskClusters-externalHint">
        {trans.__('Your clusters that were started elsewhere, e.g. from notebook code. Adopt one to manage it here.')}
      </p>
      <ul className="jp-DaskClusters-externalItems">
        {clusters.map(cluster => (
          <ExternalItem key={`${cluster.type}/${cluster.name}`} cluster={cluster} commands={commands} trans={trans} />
        ))}
      </ul>
    </section>
  );
}

/**
 * One adoptable cluster: its name, type, status, where and since when it runs.
 */
function ExternalItem(props: {
  cluster: IExternalCluster;
  commands: CommandRegistry;
  trans: TranslationBundle;
}): JSX.Element {
  const { cluster, commands, trans } = props;
  const started = cluster.startedAt ? formatStart(cluster.startedAt) : undefined;
  return (
    <li className={EXTERNAL_CLASS} data-type={cluster.type} data-name={cluster.name} data-status={cluster.status}>
      <div className="jp-DaskClusters-itemHeader">
        <span className="jp-DaskClusters-name" title={cluster.name}>
          {cluster.name}
        </span>
        <span className="jp-DaskClusters-state jp-DaskClusters-externalStatus">{cluster.status.toLowerCase()}</span>
      </div>
      <div className="jp-DaskClusters-meta">
        <span className="jp-DaskClusters-type">{cluster.type}</span>
        <span className="jp-DaskClusters-location" title={cluster.location}>
          {cluster.location}
        </span>
        {started && <span title={cluster.startedAt}>{trans.__('since %1', started)}</span>}
      </div>
      <div className="jp-DaskClusters-actions">
        <button
          type="button"
          className="jp-mod-styled jp-mod-accept jp-DaskClusters-adopt"
          title={trans.__('Manage %1 here: dashboards, client code, scale and stop', cluster.name)}
          onClick={() =>
            void commands.execute(CommandIDs.adopt, {
              type: cluster.type,
              name: cluster.name
            })
          }
        >
          {trans.__('Adopt')}
        </button>
      </div>
    </li>
  );
}
