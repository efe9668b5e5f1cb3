import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import React, { useState } from 'react';
import type { IPlot } from '../../protocol';
import type { IDashboardLayout } from '../settings';
import '../../style/plots.css';

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
