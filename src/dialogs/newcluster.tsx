import { Notification } from '@jupyterlab/apputils';
import type { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import {
  FormComponent,
  HTMLSelect,
  ReactWidget,
  UseSignal
} from '@jupyterlab/ui-components';
import type { ReadonlyJSONObject } from '@lumino/coreutils';
import React, { useMemo } from 'react';
import type {
  IClusterModel,
  ICreateRequest,
  IEnvironment,
  IJobScript
} from '../../protocol';
import { formatValue } from '../format';
import type { IDaskClusterManager, IDaskClusterSettings } from '../tokens';
import { TRANSLATION_DOMAIN } from '../tokens';
import { lastUsedKey } from './defaults';
import { annotateSources, labelEnums } from './schema';
import { NewClusterForm } from './newclusterform';
import { PresetBar } from './presets';
import { JobScriptPreview } from './preview';
import { JobScriptPanel } from './previewpanel';
import type { ISubmitBody } from './submit';
import type { FormUiSchema } from './validator';
import { formValidator } from './validator';
import { SubmitDialog } from './submit';

/**
 * The body of the [+New] dialog: type selector, presets, name and the type's form.
 */
export class NewClusterBody
  extends ReactWidget
  implements ISubmitBody<ICreateRequest>
{
  /**
   * Create the body around a form state.
   */
  constructor(options: NewClusterBody.IOptions) {
    super();
    this.form = options.form;
    this._settings = options.settings;
    this._trans = options.translator.load(TRANSLATION_DOMAIN);
    this.addClass('jp-DaskClusters-newDialog');
    this._settings.changed.connect(this._onSettingsChanged, this);
    const fetch = options.preview;
    this.preview = fetch
      ? new JobScriptPreview({
          fetch,
          // Refusals read the same as Start's: next to the fields, the rest above.
          onAnswer: refusal =>
            refusal ? this.form.showError(refusal) : this.form.clearErrors()
        })
      : null;
    this.form.changed.connect(this._updatePreview, this);
    this._updatePreview();
  }

  /**
   * The job script of the current options, for types that can show one.
   */
  readonly preview: JobScriptPreview | null;

  /**
   * The state the body renders.
   */
  readonly form: NewClusterForm;

  /**
   * The request to send.
   */
  getValue(): ICreateRequest {
    return this.form.request();
  }

  /**
   * Show why the companion refused the request.
   */
  showError(error: unknown): void {
    this.form.showError(error);
  }

  /**
   * Enter in the presets bar names a preset; it must not start a cluster.
   */
  canSubmit(): boolean {
    const active = document.activeElement;
    return !(active && active.closest('.jp-DaskClusters-presets'));
  }

  /**
   * Stop listening to the settings.
   */
  dispose(): void {
    this._settings.changed.disconnect(this._onSettingsChanged, this);
    this.form.changed.disconnect(this._updatePreview, this);
    this.preview?.dispose();
    super.dispose();
  }

  protected render(): JSX.Element {
    return (
      <UseSignal signal={this.form.changed}>
        {() => (
          <NewClusterView
            form={this.form}
            settings={this._settings}
            preview={this.preview}
            trans={this._trans}
          />
        )}
      </UseSignal>
    );
  }

  private _updatePreview(): void {
    if (!this.preview) {
      return;
    }
    let request: ICreateRequest | null = null;
    if (this.form.type?.preview) {
      try {
        request = this.form.request();
      } catch {
        request = null;
      }
    }
    this.preview.update(request);
  }

  private _onSettingsChanged(): void {
    this.form.setSettings(this._settings.current);
  }

  private _settings: IDaskClusterSettings;
  private _trans: TranslationBundle;
}

/**
 * The namespace of `NewClusterBody` statics.
 */
export namespace NewClusterBody {
  /**
   * Options of the body.
   */
  export interface IOptions {
    form: NewClusterForm;
    settings: IDaskClusterSettings;
    translator: ITranslator;
    /**
     * Ask for the job script of a request; without it no preview is shown.
     */
    preview?: (request: ICreateRequest) => Promise<IJobScript>;
  }
}

/**
 * The content of the [+New] dialog.
 */
function NewClusterView(props: {
  form: NewClusterForm;
  settings: IDaskClusterSettings;
  preview: JobScriptPreview | null;
  trans: TranslationBundle;
}): JSX.Element {
  const { form, settings, preview, trans } = props;
  const type = form.type;
  const schema = useMemo(
    () =>
      type
        ? annotateSources(
            labelEnums(type.schema, type.uiSchema),
            type.sources,
            source => {
              const value = formatValue(source.value);
              // An empty default (e.g. no local directory) is described by its source alone.
              return value
                ? trans.__('(Default %1: %2.)', value, source.source)
                : trans.__('(Default: %1.)', source.source);
            }
          )
        : undefined,
    [type, trans]
  );
  const unavailable = form.types.filter(t => !t.available);

  if (!type || !schema) {
    return (
      <div className="jp-DaskClusters-formError">
        {trans.__('The server offers no cluster types.')}
      </div>
    );
  }

  return (
    <>
      <label className="jp-DaskClusters-field">
        <span>{trans.__('Cluster type')}</span>
        <HTMLSelect
          className="jp-DaskClusters-typeSelect"
          value={type.id}
          onChange={event => form.selectType(event.currentTarget.value)}
          options={form.types.map(t => ({
            value: t.id,
            disabled: !t.available,
            label: t.available
              ? t.title
              : trans.__('%1 (unavailable: %2)', t.title, t.reason ?? '')
          }))}
        />
      </label>
      {type.description && (
        <p className="jp-DaskClusters-typeDescription">{type.description}</p>
      )}
      {unavailable.length > 0 && (
        <ul className="jp-DaskClusters-unavailable">
          {unavailable.map(t => (
            <li key={t.id}>
              {trans.__('%1 is not available: %2', t.title, t.reason ?? '')}
            </li>
          ))}
        </ul>
      )}
      <PresetBar
        presets={form.presets}
        types={form.types}
        trans={trans}
        onApply={preset => form.applyPreset(preset)}
        onSave={name =>
          void settings
            .savePreset({ name, type: type.id, options: form.values })
            .catch(reason => form.showError(reason))
        }
        onDelete={preset =>
          void settings
            .deletePreset(preset.name, preset.type)
            .catch(reason => form.showError(reason))
        }
      />
      <label className="jp-DaskClusters-field">
        <span>{trans.__('Name')}</span>
        <input
          className="jp-mod-styled jp-DaskClusters-nameInput"
          type="text"
          value={form.name}
          placeholder={trans.__('chosen by the server when empty')}
          onChange={event => form.setName(event.currentTarget.value)}
        />
      </label>
      {form.errors.messages.length > 0 && (
        <ul className="jp-DaskClusters-formError" role="alert">
          {form.errors.messages.map((message, index) => (
            <li key={index}>{message}</li>
          ))}
        </ul>
      )}
      <FormComponent
        schema={schema}
        uiSchema={type.uiSchema as FormUiSchema}
        formData={form.values as ReadonlyJSONObject}
        formContext={{ defaultFormData: type.defaults }}
        extraErrors={form.errors.fields}
        validator={formValidator()}
        liveValidate
        showErrorList={false}
        // The descriptions already say each default and where it came from.
        showModifiedFromDefault={false}
        onChange={event => form.setValues({ ...event.formData })}
      />
      {preview && type.preview && <JobScriptPanel preview={preview} trans={trans} />}
    </>
  );
}

/**
 * Ask for a new cluster and start it; resolves with the cluster, or `null` when cancelled.
 */
export async function showNewClusterDialog(options: {
  manager: IDaskClusterManager;
  settings: IDaskClusterSettings;
  translator: ITranslator;
  kernelName: string | null;
}): Promise<IClusterModel | null> {
  const { manager, settings, translator } = options;
  const trans = translator.load(TRANSLATION_DOMAIN);
  let form: NewClusterForm;
  try {
    const [types, environments] = await Promise.all([
      manager.client.types(settings.current.memoryReserve),
      // Without environments the form still works; only the kernel default is lost.
      manager.client.environments().catch((): IEnvironment[] => [])
    ]);
    form = new NewClusterForm({
      types,
      environments,
      settings: settings.current,
      kernelName: options.kernelName
    });
  } catch (reason) {
    Notification.error(
      trans.__(
        'Could not load the cluster types: %1',
        reason instanceof Error ? reason.message : String(reason)
      )
    );
    return null;
  }
  const body = new NewClusterBody({
    form,
    settings,
    translator,
    preview: request => manager.client.preview(request)
  });
  const cluster = await SubmitDialog.show<ICreateRequest, IClusterModel>({
    title: trans.__('New Dask Cluster'),
    body,
    acceptLabel: trans.__('Start'),
    cancelLabel: trans.__('Cancel'),
    submit: async request => {
      const created = await manager.create(request);
      // Remembering is a convenience: a failure to write settings must not hide the new cluster.
      const key = form.type ? lastUsedKey(form.type) : request.type;
      settings.setLastOptions(key, request.options).catch(reason => {
        console.warn('Could not save the last-used options', reason);
      });
      return created;
    }
  });
  if (cluster) {
    Notification.success(trans.__('Starting cluster %1', cluster.name), {
      autoClose: 3000
    });
  }
  return cluster;
}
