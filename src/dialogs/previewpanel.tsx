import type { TranslationBundle } from '@jupyterlab/translation';
import { UseSignal } from '@jupyterlab/ui-components';
import React from 'react';
import type { JobScriptPreview } from './preview';

/**
 * The job script the dialog's options would submit, live as they change.
 */
export function JobScriptPanel(props: { preview: JobScriptPreview; trans: TranslationBundle }): JSX.Element {
  const { preview, trans } = props;
  return (
    <UseSignal signal={preview.changed}>
      {() => (
        <section
          className="jp-DaskClusters-preview"
          data-status={preview.status}
          aria-busy={preview.status === 'loading'}
        >
          <div className="jp-DaskClusters-previewHeader">
            <span>{trans.__('Job script')}</span>
            <span className="jp-DaskClusters-previewStatus">{Private.statusText(preview, trans)}</span>
          </div>
          {preview.status === 'failed' && (
            <div className="jp-DaskClusters-previewMessage" role="alert">
              {preview.message}
            </div>
          )}
          {preview.script && <pre className="jp-DaskClusters-log jp-DaskClusters-previewScript">{preview.script}</pre>}
        </section>
      )}
    </UseSignal>
  );
}

namespace Private {
  /**
   * A few words on where the preview stands.
   */
  export function statusText(preview: JobScriptPreview, trans: TranslationBundle): string {
    switch (preview.status) {
      case 'loading':
        return trans.__('updating…');
      case 'ready':
        return trans.__('exactly what will be submitted');
      case 'refused':
        return trans.__('none: fix the options marked above');
      case 'failed':
        return trans.__('could not be made');
      case 'idle':
        return '';
    }
  }
}
