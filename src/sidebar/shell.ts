import type { Message } from '@lumino/messaging';
import { BoxPanel } from '@lumino/widgets';
import { daskIcon } from '../icons';
import { SIDEBAR_ID, TRANSLATION_DOMAIN } from '../tokens';
import type { ClusterSidebar } from './sidebar';

/**
 * The sidebar's place in the left area: its tab from the start, its content loaded when first shown.
 */
export class LazyClusterSidebar extends BoxPanel {
  /**
   * Create the place; nothing of the content loads yet.
   */
  constructor(options: LazyClusterSidebar.IOptions) {
    super();
    this._options = options;
    this.id = SIDEBAR_ID;
    this.title.icon = daskIcon;
    this.title.caption = options.translator.load(TRANSLATION_DOMAIN).__('Dask Clusters');
  }

  /**
   * Load the content (the cluster list and its toolbar) unless it is loaded already.
   *
   * A method, not a `content` getter: JupyterLab's side bar reads `content` of each widget it adds.
   */
  loadContent(): Promise<ClusterSidebar> {
    // The list, its items and their styles are a chunk of their own, fetched when the sidebar first opens.
    this._content ??= import('./sidebar').then(({ ClusterSidebar }) => {
      const content = new ClusterSidebar({ ...this._options, id: `${SIDEBAR_ID}-content` });
      this.addWidget(content);
      return content;
    });
    return this._content;
  }

  protected onBeforeShow(msg: Message): void {
    super.onBeforeShow(msg);
    void this.loadContent();
  }

  private _options: LazyClusterSidebar.IOptions;
  private _content: Promise<ClusterSidebar> | null = null;
}

/**
 * The namespace of `LazyClusterSidebar` statics.
 */
export namespace LazyClusterSidebar {
  /**
   * Options of the sidebar: those of its content.
   */
  export type IOptions = ClusterSidebar.IOptions;
}
