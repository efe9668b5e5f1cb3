import React, { useEffect, useState } from 'react';
import type { IClusterModel, IPlot } from '../../protocol';
import { CommandIDs } from '../commands';
import type { IDashboardLayout } from '../settings';
import type { IItemContext } from './context';

/**
 * How many plots are shown first when the companion marks none as common.
 */
const COMMON_COUNT = 4;

/**
 * The plots shown at once, and the rest that wait behind "More plots".
 */
export function splitPlots(plots: ReadonlyArray<IPlot>): {
  common: IPlot[];
  more: IPlot[];
} {
  const marked = plots.filter(p => p.common);
  const common = marked.length ? marked : plots.slice(0, COMMON_COUNT);
  return { common, more: plots.filter(p => !common.includes(p)) };
}

/**
 * The plots whose title contains every word of the query, whatever the case.
 */
export function searchPlots(plots: ReadonlyArray<IPlot>, query: string): IPlot[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  return plots.filter(p => {
    const title = p.title.toLowerCase();
    return words.every(word => title.includes(word));
  });
}

/**
 * The dashboard part of a running item: the common plots, the others behind a searchable "More plots", and the saved layouts.
 */
export function PlotButtons(props: { cluster: IClusterModel; context: IItemContext }): JSX.Element | null {
  const { cluster, context } = props;
  const { trans, commands } = context;
  const [plots, setPlots] = useState<IPlot[]>([]);
  const [expanded, setExpanded] = useState(false);
  const [query, setQuery] = useState('');
  useEffect(() => {
    let current = true;
    context.manager.plots(cluster.id).then(
      list => current && setPlots(list),
      () => current && setPlots([])
    );
    return () => {
      current = false;
    };
    // The cluster object changes with every update; an empty list is then asked again.
  }, [cluster, context.manager]);

  if (!plots.length || !commands.hasCommand(CommandIDs.openDashboard)) {
    return null;
  }
  const { common, more } = splitPlots(plots);
  const found = searchPlots(more, query);
  const listId = `jp-DaskClusters-morePlots-${cluster.id}`;
  return (
    <div className="jp-DaskClusters-plots" role="group" aria-label={trans.__('Dashboard plots of %1', cluster.name)}>
      <div className="jp-DaskClusters-plotList">
        {common.map(plot => (
          <PlotButton key={plot.path} plot={plot} {...props} />
        ))}
        {more.length > 0 && (
          <button
            type="button"
            className="jp-DaskClusters-morePlots"
            aria-expanded={expanded}
            aria-controls={listId}
            title={
              expanded ? trans.__('Hide the other plots') : trans.__('Show and search the other %1 plots', more.length)
            }
            onClick={() => setExpanded(!expanded)}
          >
            {expanded ? trans.__('Fewer plots') : trans.__('More plots (%1)', more.length)}
          </button>
        )}
      </div>
      {expanded && (
        <div className="jp-DaskClusters-plotSearch" id={listId}>
          <input
            type="search"
            className="jp-DaskClusters-plotFilter jp-mod-styled"
            placeholder={trans.__('Search plots')}
            aria-label={trans.__('Search plots')}
            value={query}
            autoFocus
            onChange={event => setQuery(event.target.value)}
          />
          <div className="jp-DaskClusters-plotList">
            {found.map(plot => (
              <PlotButton key={plot.path} plot={plot} {...props} />
            ))}
            {found.length === 0 && (
              <span className="jp-DaskClusters-noPlot" role="status">
                {trans.__('No plot matches "%1"', query)}
              </span>
            )}
          </div>
        </div>
      )}
      <LayoutButtons cluster={cluster} context={context} plots={plots} />
    </div>
  );
}

/**
 * One plot: opens it in a tab.
 */
function PlotButton(props: { plot: IPlot; cluster: IClusterModel; context: IItemContext }): JSX.Element {
  const { plot, cluster, context } = props;
  return (
    <button
      type="button"
      className="jp-DaskClusters-plot"
      title={context.trans.__('Open %1 in a tab', plot.title)}
      onClick={() =>
        void context.commands.execute(CommandIDs.openDashboard, {
          id: cluster.id,
          path: plot.path,
          title: plot.title
        })
      }
    >
      {plot.title}
    </button>
  );
}

/**
 * A button per saved layout (its plots open together, arranged), and one that makes a new layout.
 */
function LayoutButtons(props: {
  cluster: IClusterModel;
  context: IItemContext;
  plots: ReadonlyArray<IPlot>;
}): JSX.Element | null {
  const { cluster, context, plots } = props;
  const titleOf = (path: string) => plots.find(p => p.path === path)?.title ?? path;
  const { commands, settings, trans } = context;
  const [layouts, setLayouts] = useState<IDashboardLayout[]>(settings?.current.dashboardLayouts ?? []);
  useEffect(() => {
    if (!settings) {
      return;
    }
    const update = () => setLayouts(settings.current.dashboardLayouts);
    update();
    settings.changed.connect(update);
    return () => {
      settings.changed.disconnect(update);
    };
  }, [settings]);

  if (!commands.hasCommand(CommandIDs.openLayout)) {
    return null;
  }
  return (
    <div className="jp-DaskClusters-layouts" role="group" aria-label={trans.__('Dashboard layouts')}>
      <span className="jp-DaskClusters-layoutsLabel">{trans.__('Layouts:')}</span>
      {layouts.map(layout => (
        <button
          key={layout.name}
          type="button"
          className="jp-DaskClusters-layout"
          title={trans.__('Open %1 together: %2', layout.name, layout.plots.map(titleOf).join(', '))}
          onClick={() =>
            void commands.execute(CommandIDs.openLayout, {
              id: cluster.id,
              name: layout.name
            })
          }
        >
          {layout.name}
        </button>
      ))}
      {commands.hasCommand(CommandIDs.editLayout) && (
        <button
          type="button"
          className="jp-DaskClusters-layout jp-DaskClusters-newLayout"
          title={commands.caption(CommandIDs.editLayout, { id: cluster.id })}
          aria-label={commands.label(CommandIDs.editLayout, { id: cluster.id })}
          onClick={() => void commands.execute(CommandIDs.editLayout, { id: cluster.id })}
        >
          {trans.__('New layout…')}
        </button>
      )}
    </div>
  );
}
