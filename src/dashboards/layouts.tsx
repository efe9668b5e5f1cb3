import type { JupyterFrontEnd } from '@jupyterlab/application';
import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import type { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import React, { useState } from 'react';
import type { IPlot } from '../../protocol';
import { CommandIDs, errorMessage, resolveCluster } from '../commands';
import { daskIcon } from '../icons';
import { canPerform } from '../lifecycle';
import type { IDashboardLayout } from '../settings';
import type { IDaskClusterManager, IDaskClusterSettings } from '../tokens';
import { TRANSLATION_DOMAIN } from '../tokens';
import type { IDashboardOpener } from './commands';
import type { DashboardWidget } from './widget';

/**
 * Where the n-th plot of a layout goes: a 2×2 grid (right of the first, below the first, below the second), then tabs in those cells.
 */
export function layoutPlacement(index: number): {
  ref: number | null;
  mode: 'split-right' | 'split-bottom' | 'tab-after' | undefined;
} {
  switch (index) {
    case 0:
      return { ref: null, mode: undefined };
    case 1:
      return { ref: 0, mode: 'split-right' };
    case 2:
      return { ref: 0, mode: 'split-bottom' };
    case 3:
      return { ref: 1, mode: 'split-bottom' };
    default:
      return { ref: index % 4, mode: 'tab-after' };
  }
}

/**
 * A plot's title when the dashboard does not list it: "individual-task-stream" -> "Task Stream".
 */
export function titleFromPath(path: string): string {
  return path
    .replace(/^.*\//, '')
    .replace(/\.html$/, '')
    .replace(/^individual-/, '')
    .split('-')
    .map(word =>
      ['cpu', 'gpu', 'rmm'].includes(word) ? word.toUpperCase() : word.charAt(0).toUpperCase() + word.slice(1)
    )
    .join(' ');
}

/**
 * Register the commands that open a set of plots together and that make a new layout.
 */
// eslint-disable-next-line max-lines-per-function -- one addCommand call per command, all sharing the options closure
export function addLayoutCommands(
  app: JupyterFrontEnd,
  options: {
    manager: IDaskClusterManager;
    settings: IDaskClusterSettings;
    translator: ITranslator;
    opener: IDashboardOpener;
  }
): void {
  const { manager, settings, translator, opener } = options;
  const trans = translator.load(TRANSLATION_DOMAIN);
  const applies = (args: ReadonlyPartialJSONObject) =>
    canPerform('open-dashboard', resolveCluster(app, manager, args, 'open-dashboard'));

  const open = async (id: string, wanted: ReadonlyArray<string>) => {
    const listed = await manager.plots(id).catch((): IPlot[] => []);
    // A layout saved on another cluster may name a plot this one lacks (GPU).
    const paths = listed.length ? wanted.filter(path => listed.some(p => p.path === path)) : wanted;
    const missing = wanted.filter(path => !paths.includes(path));
    if (missing.length) {
      Notification.info(
        trans.__('Left out, as this dashboard does not have them: %1', missing.map(titleFromPath).join(', ')),
        { autoClose: 5000 }
      );
    }
    const widgets: Array<DashboardWidget | undefined> = [];
    for (const [index, path] of paths.entries()) {
      // A tab already open moves into the arrangement: reopened in its place.
      opener.tracker.find(w => w.clusterId === id && w.path === path)?.dispose();
      const { ref, mode } = layoutPlacement(index);
      const neighbour = ref === null ? undefined : widgets[ref];
      widgets.push(
        opener.openPlot({
          id,
          path,
          title: listed.find(p => p.path === path)?.title ?? titleFromPath(path),
          placement: neighbour && { ref: neighbour.id, mode, activate: false }
        })
      );
    }
    const first = widgets.find(w => w !== undefined);
    if (first) {
      app.shell.activateById(first.id);
    }
  };

  app.commands.addCommand(CommandIDs.openLayout, {
    label: args =>
      typeof args.name === 'string'
        ? trans.__('Open Dashboard Layout: %1', args.name)
        : trans.__('Open Dashboard Layout'),
    caption: trans.__('Open several plots of the cluster together, arranged'),
    icon: daskIcon,
    isEnabled: applies,
    execute: async args => {
      const cluster = resolveCluster(app, manager, args, 'open-dashboard');
      const layout = settings.current.dashboardLayouts.find(l => l.name === args.name);
      const paths = Array.isArray(args.plots)
        ? args.plots.filter((p): p is string => typeof p === 'string')
        : layout?.plots;
      if (!cluster || !paths?.length) {
        return;
      }
      await open(cluster.id, paths);
    }
  });

  app.commands.addCommand(CommandIDs.editLayout, {
    label: trans.__('New Dashboard Layout…'),
    caption: trans.__('Choose plots that open together, save them as a layout and open it'),
    icon: daskIcon,
    isEnabled: applies,
    execute: async args => {
      const cluster = resolveCluster(app, manager, args, 'open-dashboard');
      if (!cluster) {
        return;
      }
      let plots: IPlot[];
      try {
        plots = await manager.plots(cluster.id);
      } catch (error) {
        Notification.error(trans.__('The plots of %1 are unavailable: %2', cluster.name, errorMessage(error)));
        return;
      }
      const layout = await showLayoutDialog({
        plots,
        existing: settings.current.dashboardLayouts,
        trans
      });
      if (!layout) {
        return;
      }
      try {
        await settings.saveLayout(layout);
        Notification.success(trans.__('Saved layout %1', layout.name), {
          autoClose: 3000
        });
      } catch (error) {
        Notification.error(trans.__('Could not save layout %1: %2', layout.name, errorMessage(error)));
      }
      await open(cluster.id, layout.plots);
    }
  });
}

/**
 * Ask for a name and the plots of a new layout; undefined when cancelled.
 */
export async function showLayoutDialog(options: {
  plots: ReadonlyArray<IPlot>;
  existing: ReadonlyArray<IDashboardLayout>;
  trans: TranslationBundle;
}): Promise<IDashboardLayout | undefined> {
  const { trans } = options;
  const body = new LayoutForm(options);
  const result = await showDialog({
    title: trans.__('New dashboard layout'),
    body,
    buttons: [
      Dialog.cancelButton({ label: trans.__('Cancel') }),
      Dialog.okButton({ label: trans.__('Save and Open') })
    ],
    focusNodeSelector: 'input',
    checkbox: null
  });
  const value = result.value;
  if (!result.button.accept || !value) {
    return undefined;
  }
  if (!value.name || !value.plots.length) {
    Notification.warning(trans.__('Nothing saved: a layout needs a name and at least one plot.'), { autoClose: 5000 });
    return undefined;
  }
  return value;
}

/**
 * The body of the layout dialog: a name, then a checkbox per plot.
 */
class LayoutForm extends ReactWidget implements Dialog.IBodyWidget<IDashboardLayout> {
  constructor(options: {
    plots: ReadonlyArray<IPlot>;
    existing: ReadonlyArray<IDashboardLayout>;
    trans: TranslationBundle;
  }) {
    super();
    this.addClass('jp-DaskClusters-layoutForm');
    this._options = options;
    const taken = new Set(options.existing.map(l => l.name));
    let n = options.existing.length + 1;
    while (taken.has(options.trans.__('Layout %1', n))) {
      n++;
    }
    this._value = {
      name: options.trans.__('Layout %1', n),
      plots: options.plots.filter(p => p.common).map(p => p.path)
    };
  }

  getValue(): IDashboardLayout {
    return { name: this._value.name.trim(), plots: [...this._value.plots] };
  }

  protected render(): JSX.Element {
    return <LayoutFields {...this._options} initial={this._value} onChange={value => (this._value = value)} />;
  }

  private _options: {
    plots: ReadonlyArray<IPlot>;
    existing: ReadonlyArray<IDashboardLayout>;
    trans: TranslationBundle;
  };
  private _value: IDashboardLayout;
}

/**
 * The fields of the layout dialog.
 */
function LayoutFields(props: {
  plots: ReadonlyArray<IPlot>;
  existing: ReadonlyArray<IDashboardLayout>;
  trans: TranslationBundle;
  initial: IDashboardLayout;
  onChange: (value: IDashboardLayout) => void;
}): JSX.Element {
  const { plots, existing, trans } = props;
  const [value, setValue] = useState(props.initial);
  const update = (next: IDashboardLayout) => {
    setValue(next);
    props.onChange(next);
  };
  const toggle = (path: string, checked: boolean) =>
    update({
      ...value,
      plots: checked
        ? plots.map(p => p.path).filter(p => p === path || value.plots.includes(p))
        : value.plots.filter(p => p !== path)
    });
  const replaces = existing.some(l => l.name === value.name.trim());
  return (
    <div className="jp-DaskClusters-layoutFields">
      <label className="jp-DaskClusters-layoutName">
        {trans.__('Name')}
        <input
          className="jp-mod-styled"
          type="text"
          value={value.name}
          onChange={event => update({ ...value, name: event.target.value })}
        />
      </label>
      {replaces && (
        <div className="jp-DaskClusters-layoutNote" role="status">
          {trans.__('Replaces the saved layout of this name.')}
        </div>
      )}
      <fieldset className="jp-DaskClusters-layoutPlots">
        <legend>
          {trans.__('Plots (%1 chosen; the first four share the area, more become tabs)', value.plots.length)}
        </legend>
        {plots.map(plot => (
          <label key={plot.path} className="jp-DaskClusters-layoutPlot">
            <input
              type="checkbox"
              checked={value.plots.includes(plot.path)}
              onChange={event => toggle(plot.path, event.target.checked)}
            />
            {plot.title}
          </label>
        ))}
      </fieldset>
      {(!value.name.trim() || value.plots.length === 0) && (
        <div className="jp-DaskClusters-layoutNote" role="alert">
          {trans.__('Give the layout a name and choose at least one plot.')}
        </div>
      )}
    </div>
  );
}
