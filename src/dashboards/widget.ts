import { MainAreaWidget } from '@jupyterlab/apputils';
import type { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import { IFrame } from '@jupyterlab/ui-components';
import { Panel, Widget } from '@lumino/widgets';
import type { IClusterModel } from '../../protocol';
import { daskIcon } from '../icons';
import { isEnded } from '../lifecycle';
import type { IDaskClusterManager } from '../tokens';
import { TRANSLATION_DOMAIN } from '../tokens';

/**
 * The class of a dashboard tab.
 */
export const DASHBOARD_CLASS = 'jp-DaskClusters-dashboard';

/**
 * The class of the message that replaces the frame once the cluster has ended.
 */
export const STOPPED_CLASS = 'jp-DaskClusters-dashboard-stopped';

/**
 * The class of the line that says why the cluster ended, under the stopped message.
 */
export const END_REASON_CLASS = 'jp-DaskClusters-dashboard-endReason';

/**
 * What a dashboard frame may do: run Bokeh's scripts on the proxied origin, submit its forms, open links.
 */
export const DASHBOARD_SANDBOX: IFrame.SandboxExceptions[] = [
  'allow-scripts',
  'allow-same-origin',
  'allow-forms',
  'allow-popups'
];

/**
 * The inside of a dashboard tab: the frame while the cluster lives, a message afterwards.
 */
export class DashboardContent extends Panel {
  /**
   * Create the content showing a dashboard address.
   */
  constructor(url: string) {
    super();
    // The tabs' styles load with the first tab, not with the page.
    void import('../../style/dashboard.css');
    this.addClass('jp-DaskClusters-dashboardContent');
    this._frame = new IFrame({ sandbox: DASHBOARD_SANDBOX });
    this._frame.url = url;
    this.addWidget(this._frame);
  }

  /**
   * Whether the frame was replaced by the stopped message.
   */
  get isStopped(): boolean {
    return this._frame === null;
  }

  /**
   * Replace the frame by a message and why the cluster ended, so the tab never shows a broken page.
   */
  showStopped(message: string, reason?: string): void {
    if (this._frame) {
      this._frame.dispose();
      this._frame = null;
      const notice = new Widget();
      notice.addClass(STOPPED_CLASS);
      this.addWidget(notice);
      this._notice = notice;
    }
    if (this._notice) {
      const heading = document.createElement('p');
      heading.textContent = message;
      const parts = [heading];
      if (reason) {
        const why = document.createElement('p');
        why.className = END_REASON_CLASS;
        why.textContent = reason;
        parts.push(why);
      }
      this._notice.node.replaceChildren(...parts);
    }
  }

  private _frame: IFrame | null;
  private _notice: Widget | null = null;
}

/**
 * A dashboard plot of one cluster in a main-area tab, following the cluster's life.
 */
export class DashboardWidget extends MainAreaWidget<DashboardContent> {
  /**
   * Create the tab; it listens to the manager until disposed.
   */
  constructor(options: DashboardWidget.IOptions) {
    super({
      content: new DashboardContent(options.manager.dashboardUrl(options.clusterId, options.path))
    });
    this.clusterId = options.clusterId;
    this.path = options.path;
    this.plotTitle = options.plotTitle;
    this._manager = options.manager;
    this._name = options.clusterName ?? options.manager.get(options.clusterId)?.name;
    this._trans = options.translator.load(TRANSLATION_DOMAIN);
    this._restored = !!options.restored;
    this.id = DashboardWidget.idFor(this.clusterId, this.path);
    this.addClass(DASHBOARD_CLASS);
    this.title.icon = daskIcon;
    this.title.closable = true;
    this._manager.changed.connect(this._update, this);
    this._update();
  }

  /**
   * The cluster whose dashboard this is.
   */
  readonly clusterId: string;

  /**
   * The plot's path below the cluster's dashboard.
   */
  readonly path: string;

  /**
   * The plot's title.
   */
  readonly plotTitle: string;

  /**
   * The cluster's name as last seen; it stays after the cluster has left the list.
   */
  get clusterName(): string | undefined {
    return this._name;
  }

  /**
   * Stop following the manager.
   */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._manager.changed.disconnect(this._update, this);
    super.dispose();
  }

  private _update(): void {
    const cluster = this._manager.get(this.clusterId);
    // A cleared cluster leaves the list: the tab keeps the name it had.
    this._name = cluster?.name ?? this._name;
    const name = this._name ?? this.clusterId;
    // Until the first snapshot, an unknown cluster may simply not be listed yet.
    const ended = this._manager.hasSnapshot && (!cluster || isEnded(cluster.state));
    this.title.label = ended
      ? this._trans.__('%1 — %2 (stopped)', this.plotTitle, name)
      : this._trans.__('%1 — %2', this.plotTitle, name);
    this.title.caption = this.title.label;
    if (!this._manager.hasSnapshot) {
      return;
    }
    if (this._restored) {
      this._restored = false;
      // A tab restored after a reload comes back only while its cluster lives.
      if (ended) {
        this.dispose();
        return;
      }
    }
    if (ended) {
      this.content.showStopped(Private.endMessage(this._trans, name, cluster), cluster?.endReason || cluster?.error);
    }
  }

  private _manager: IDaskClusterManager;
  private _trans: TranslationBundle;
  private _restored: boolean;
  private _name: string | undefined;
}

/**
 * The namespace of `DashboardWidget` statics.
 */
export namespace DashboardWidget {
  /**
   * Options of a dashboard tab.
   */
  export interface IOptions {
    manager: IDaskClusterManager;
    clusterId: string;
    path: string;
    plotTitle: string;
    /**
     * The cluster's name, for a tab restored before the list has arrived.
     */
    clusterName?: string;
    translator: ITranslator;
    /**
     * Whether the layout restorer re-creates this tab after a reload.
     */
    restored?: boolean;
  }

  /**
   * A DOM-safe widget id for a cluster's plot.
   */
  export function idFor(clusterId: string, path: string): string {
    return `dask-dashboard-${clusterId}-${path}`.replace(/[^A-Za-z0-9_-]/g, '_');
  }
}

namespace Private {
  /**
   * What the tab says once its cluster has ended, by how it ended.
   */
  export function endMessage(trans: TranslationBundle, name: string, cluster: IClusterModel | undefined): string {
    switch (cluster?.state) {
      case 'failed':
        return trans.__('Cluster %1 failed — this dashboard is no longer live', name);
      case 'lost':
        return trans.__('Cluster %1 was lost — this dashboard is no longer live', name);
      default:
        return trans.__('Cluster %1 stopped — this dashboard is no longer live', name);
    }
  }
}
