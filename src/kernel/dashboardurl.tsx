import type { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import type { CommandRegistry } from '@lumino/commands';
import React, { useState } from 'react';
import { OPEN_DASHBOARD_URL } from '../commands';
import { TRANSLATION_DOMAIN } from '../tokens';

export { OPEN_DASHBOARD_URL } from '../commands';

/**
 * A field for the address of any Dask dashboard; its plots then open in lab tabs through the proxy.
 */
export class DashboardUrlBox extends ReactWidget {
  /**
   * Create the field.
   */
  constructor(options: { commands: CommandRegistry; translator: ITranslator }) {
    super();
    this._commands = options.commands;
    this._trans = options.translator.load(TRANSLATION_DOMAIN);
    this.addClass('jp-DaskClusters-urlBox');
    // The command comes with the kernel plugin, which may activate after the sidebar.
    this._commands.commandChanged.connect(() => this.update(), this);
  }

  protected render(): JSX.Element | null {
    if (!this._commands.hasCommand(OPEN_DASHBOARD_URL)) {
      return null;
    }
    return <UrlForm commands={this._commands} trans={this._trans} />;
  }

  private _commands: CommandRegistry;
  private _trans: TranslationBundle;
}

/**
 * The address field and its Open button.
 */
function UrlForm(props: { commands: CommandRegistry; trans: TranslationBundle }): JSX.Element {
  const { commands, trans } = props;
  const [url, setUrl] = useState('');
  return (
    <form
      className="jp-DaskClusters-urlForm"
      onSubmit={event => {
        event.preventDefault();
        if (url.trim()) {
          void commands.execute(OPEN_DASHBOARD_URL, { url });
          setUrl('');
        }
      }}
    >
      <input
        className="jp-mod-styled jp-DaskClusters-urlInput"
        type="url"
        value={url}
        placeholder={trans.__('Dashboard address, e.g. http://host:8787/status')}
        aria-label={trans.__('Address of a Dask dashboard')}
        title={trans.__(
          'Opens the plots of any Dask dashboard in lab tabs, through JupyterLab: the Jupyter server fetches it for you'
        )}
        onChange={event => setUrl(event.target.value)}
      />
      <button type="submit" className="jp-mod-styled jp-DaskClusters-urlOpen">
        {trans.__('Open')}
      </button>
    </form>
  );
}
