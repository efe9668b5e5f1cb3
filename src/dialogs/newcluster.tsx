import { Notification } from '@jupyterlab/apputils';
import type { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import { FormComponent, HTMLSelect, ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import type { ReadonlyJSONObject } from '@lumino/coreutils';
import type { ISignal } from '@lumino/signaling';
import type { ErrorSchema } from '@rjsf/utils';
import type { JSONSchema7 } from 'json-schema';
import React, { useMemo } from 'react';
import type { IClusterModel, IClusterType, ICreateRequest, IEnvironment, IJobScript } from '../../protocol';
import { formatValue } from '../format';
import type { IDaskClusterManager, IDaskClusterSettings } from '../tokens';
import { TRANSLATION_DOMAIN } from '../tokens';
import type { IClientError } from './fielderrors';
import { clientErrors, humanErrors } from './fielderrors';
import { annotateFields, annotateSources, labelEnums } from './schema';
import type { ValueOrigin } from './newclusterform';
import { NewClusterForm } from './newclusterform';
import { ENVIRONMENT_FIELD } from './defaults';
import type { ISectionContext } from './sections';
import { SectionedObjectTemplate } from './sections';
import { PresetBar } from './presets';
import { JobScriptPreview } from './preview';
import { JobScriptPanel } from './previewpanel';
import type { ISubmitBody } from './submit';
import type { FormUiSchema } from './validator';
import { formValidator } from './validator';
import { SubmitDialog } from './submit';
import '../../style/base.css';
import '../../style/dialog.css';

/**
 * The body of the [+New] dialog: type selector, presets, name and the type's form.
 */
export class NewClusterBody extends ReactWidget implements ISubmitBody<ICreateRequest> {
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
          onAnswer: refusal => (refusal ? this.form.showError(refusal) : this.form.clearErrors())
        })
      : null;
    this.form.changed.connect(this._updatePreview, this);
    this._updatePreview();
    this._warm = options.warm;
    this.form.changed.connect(this._warmEnvironment, this);
    this._warmEnvironment();
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
   * The fields the form finds wrong now, each with its message.
   */
  invalidFields(): IClientError[] {
    const type = this.form.type;
    if (!type) {
      return [];
    }
    return clientErrors(this.form.values, labelEnums(type.schema, type.uiSchema), type.uiSchema, this._trans);
  }

  /**
   * The fields the companion refused, besides those the form finds wrong
   * itself, while the values are still the refused ones: sending them again
   * is no use.
   */
  refusedFields(known: ReadonlyArray<IClientError>): IClientError[] {
    const type = this.form.type;
    if (!this.form.refusalStands) {
      return [];
    }
    const fields = new Set(known.map(error => error.field));
    return Object.entries(this.form.errors.fields).flatMap(([field, errors]) => {
      const messages = (errors as { __errors?: string[] } | undefined)?.__errors;
      if (!type || field === '__errors' || fields.has(field) || !messages?.length) {
        return [];
      }
      const property = type.schema.properties?.[field];
      const title = typeof property === 'object' && property.title ? property.title : field;
      return [{ field, title, message: messages[0] }];
    });
  }

  /**
   * Why Start cannot be used now, or null when it can.
   */
  invalidReason(): string | null {
    const client = this.invalidFields();
    // A refused name stands until it is changed (a live cluster has it).
    const name = this.form.errors.name ? [{ title: this._trans.__('Name') }] : [];
    const invalid = [...name, ...client, ...this.refusedFields(client)];
    if (!invalid.length) {
      return null;
    }
    // Names the fields only: each message is said once, next to its field.
    return invalid.length === 1
      ? this._trans.__('To start, fix %1.', invalid[0].title)
      : this._trans.__('To start, fix %1 fields: %2.', invalid.length, invalid.map(error => error.title).join(', '));
  }

  /**
   * Emitted when what `invalidReason` says may have changed.
   */
  get validityChanged(): ISignal<unknown, void> {
    return this.form.changed;
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
    this.form.changed.disconnect(this._warmEnvironment, this);
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
            invalid={this.invalidFields()}
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

  /** Have a runner of the chosen environment started while the user fills in the form. */
  private _warmEnvironment(): void {
    const environment = this.form.values[ENVIRONMENT_FIELD];
    if (this._warm && typeof environment === 'string' && environment !== this._warmed) {
      this._warmed = environment;
      this._warm(environment);
    }
  }

  private _warm: ((environment: string) => void) | undefined;
  private _warmed: string | undefined;
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
    /**
     * Start a runner of an environment ahead of Start (the environment shown
     * first, then each one chosen); without it nothing is started early.
     */
    warm?: (environment: string) => void;
  }
}

/**
 * The short mark of where a value came from, or undefined for a value the user typed.
 */
export function originLabel(origin: ValueOrigin, trans: TranslationBundle): string | undefined {
  switch (origin.kind) {
    case 'default':
    case 'site':
      return trans.__('site default');
    case 'computed':
      return trans.__('computed default');
    case 'lastUsed':
      return trans.__('last used');
    case 'preset':
      return trans.__('preset “%1”', origin.preset);
    case 'kernel':
      return trans.__("notebook's kernel");
    case 'edited':
      return undefined;
  }
}

/**
 * The longer word on where a default came from, shown over its mark.
 */
function originTitle(origin: ValueOrigin, trans: TranslationBundle): string | undefined {
  switch (origin.kind) {
    case 'computed':
      return trans.__('Computed from %1', origin.source);
    case 'site':
      return origin.source
        ? trans.__('Set in %1', origin.source)
        : trans.__("Set in your site's settings overrides (overrides.json)");
    case 'lastUsed':
      return trans.__('You changed this from the default when you last started this type');
    default:
      return undefined;
  }
}

/**
 * The schema the form renders: labelled enums, and each field's description
 * saying where its value came from and what the default is.
 */
export function describedSchema(type: IClusterType, form: NewClusterForm, trans: TranslationBundle): JSONSchema7 {
  const labelled = labelEnums(type.schema, type.uiSchema);
  const sourced = new Set(type.sources.map(s => s.field.replace(/^\//, '')));
  const withSources = annotateSources(labelled, type.sources, source => {
    const field = source.field.replace(/^\//, '');
    const value = formatValue(source.value);
    // An empty default (e.g. no local directory) is described by its source alone.
    const fallback = value
      ? trans.__('Default %1: %2.', value, source.source)
      : trans.__('Default: %1.', source.source);
    const origin = form.origin(field);
    switch (origin.kind) {
      case 'lastUsed':
        return trans.__('(Your last-used value. %1)', fallback);
      case 'preset':
        return trans.__('(From preset “%1”. %2)', origin.preset, fallback);
      case 'kernel':
        return trans.__("(The environment of your notebook's kernel. %1)", fallback);
      case 'site':
        return origin.source ? `(${fallback})` : trans.__("(Set by your site's settings. %1)", fallback);
      default:
        return `(${fallback})`;
    }
  });
  const notes: Record<string, string> = {};
  const described = (of: JSONSchema7, field: string) => {
    const property = of.properties?.[field];
    return typeof property === 'object' ? property.description : undefined;
  };
  for (const field of Object.keys(labelled.properties ?? {})) {
    // A source the server already states in the description left it as is:
    // the origin still needs saying.
    const noted = described(withSources, field) !== described(labelled, field);
    if (sourced.has(field) && noted) {
      continue;
    }
    const origin = form.origin(field);
    if (origin.kind === 'lastUsed') {
      notes[field] = trans.__('(Your last-used value.)');
    } else if (origin.kind === 'preset') {
      notes[field] = trans.__('(From preset “%1”.)', origin.preset);
    } else if (origin.kind === 'kernel') {
      notes[field] = trans.__("(The environment of your notebook's kernel.)");
    } else if (origin.kind === 'site' && !origin.source) {
      notes[field] = trans.__("(Set by your site's settings.)");
    }
  }
  return annotateFields(withSources, notes);
}

/**
 * Server messages for fields the form already finds wrong are dropped: each error is said once.
 */
function serverErrorsBesides(fields: ErrorSchema, client: ReadonlyArray<IClientError>): ErrorSchema {
  const result = { ...fields };
  for (const error of client) {
    delete result[error.field];
  }
  return result;
}

/**
 * The id of the message under the name field, which the field names as its description.
 */
const NAME_ERROR_ID = 'jp-DaskClusters-nameError';

/**
 * The content of the [+New] dialog.
 */
// eslint-disable-next-line max-lines-per-function -- a React render with one JSX tree and the hooks it needs
function NewClusterView(props: {
  form: NewClusterForm;
  settings: IDaskClusterSettings;
  preview: JobScriptPreview | null;
  trans: TranslationBundle;
  invalid: ReadonlyArray<IClientError>;
}): JSX.Element {
  const { form, settings, preview, trans, invalid } = props;
  const type = form.type;
  const schema = type ? describedSchema(type, form, trans) : undefined;
  const uiSchema = useMemo(
    () =>
      type
        ? ({
            ...type.uiSchema,
            'ui:ObjectFieldTemplate': SectionedObjectTemplate
          } as FormUiSchema)
        : undefined,
    [type]
  );
  const transformErrors = useMemo(
    () => (type ? humanErrors(type.schema, type.uiSchema, trans) : undefined),
    [type, trans]
  );
  const unavailable = form.types.filter(t => !t.available);

  if (!type || !schema || !uiSchema) {
    return <div className="jp-DaskClusters-formError">{trans.__('The server offers no cluster types.')}</div>;
  }
  const origins: NonNullable<ISectionContext['origins']> = {};
  for (const field of Object.keys(schema.properties ?? {})) {
    const origin = form.origin(field);
    const label = originLabel(origin, trans);
    if (label) {
      origins[field] = { kind: origin.kind, label, title: originTitle(origin, trans) };
    }
  }
  const context: ISectionContext & { defaultFormData: unknown } = {
    defaultFormData: type.defaults,
    origins
  };

  return (
    <>
      <div className="jp-DaskClusters-dialogTop">
        <label className="jp-DaskClusters-field">
          <span>{trans.__('Cluster type')}</span>
          <HTMLSelect
            className="jp-DaskClusters-typeSelect"
            value={type.id}
            onChange={event => form.selectType(event.currentTarget.value)}
            options={form.types.map(t => ({
              value: t.id,
              disabled: !t.available,
              label: t.available ? t.title : trans.__('%1 (unavailable: %2)', t.title, t.reason ?? '')
            }))}
          />
        </label>
        <label className="jp-DaskClusters-field">
          <span>{trans.__('Name')}</span>
          <input
            className="jp-mod-styled jp-DaskClusters-nameInput"
            type="text"
            value={form.name}
            placeholder={trans.__('chosen by the server when empty')}
            aria-invalid={form.errors.name ? true : undefined}
            aria-describedby={form.errors.name ? NAME_ERROR_ID : undefined}
            onChange={event => form.setName(event.currentTarget.value)}
          />
          {form.errors.name && (
            <span id={NAME_ERROR_ID} className="jp-DaskClusters-nameError validationErrors" role="alert">
              {form.errors.name}
            </span>
          )}
        </label>
      </div>
      {type.description && <p className="jp-DaskClusters-typeDescription">{type.description}</p>}
      {unavailable.length > 0 && (
        // Folded: the reasons matter to whoever needs that type, and must not push the form down.
        <details className="jp-DaskClusters-unavailable">
          <summary>
            {trans._n(
              '%1 cluster type is not available here',
              '%1 cluster types are not available here',
              unavailable.length
            )}
          </summary>
          <ul>
            {unavailable.map(t => (
              <li key={t.id}>{trans.__('%1 is not available: %2', t.title, t.reason ?? '')}</li>
            ))}
          </ul>
        </details>
      )}
      <PresetBar
        presets={form.presets}
        types={form.types}
        trans={trans}
        onApply={preset => form.applyPreset(preset)}
        onSave={name =>
          presetFeedback(
            settings.savePreset({ name, type: type.id, options: form.values }),
            trans.__('Saved preset “%1”.', name),
            trans.__('Could not save preset “%1”', name)
          )
        }
        onRename={(preset, name) =>
          presetFeedback(
            settings.savePreset({ ...preset, name }).then(() => settings.deletePreset(preset.name, preset.type)),
            trans.__('Renamed preset “%1” to “%2”.', preset.name, name),
            trans.__('Could not rename preset “%1”', preset.name)
          )
        }
        onDelete={preset =>
          presetFeedback(
            settings.deletePreset(preset.name, preset.type),
            trans.__('Deleted preset “%1”.', preset.name),
            trans.__('Could not delete preset “%1”', preset.name)
          )
        }
      />
      <div className="jp-DaskClusters-origins">
        <span>
          {form.hasChanges
            ? trans.__('Marks say where each value comes from: site or computed default, last used or preset.')
            : trans.__('Every value is a site default.')}
        </span>
        <button
          type="button"
          className="jp-mod-styled jp-mod-reject jp-DaskClusters-reset"
          disabled={!form.hasChanges}
          onClick={() => form.resetToDefaults()}
        >
          {trans.__('Reset to defaults')}
        </button>
      </div>
      {form.errors.messages.length > 0 && (
        <ul className="jp-DaskClusters-formError" role="alert">
          {form.errors.messages.map((message, index) => (
            <li key={index}>{message}</li>
          ))}
        </ul>
      )}
      <FormComponent
        schema={schema}
        uiSchema={uiSchema}
        formData={form.values as ReadonlyJSONObject}
        formContext={context}
        extraErrors={serverErrorsBesides(form.errors.fields, invalid)}
        validator={formValidator()}
        transformErrors={transformErrors}
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
 * Say through JupyterLab's notifications how a change to the presets went.
 */
function presetFeedback(change: Promise<void>, success: string, failure: string): void {
  change.then(
    () => Notification.success(success, { autoClose: 3000 }),
    reason => Notification.error(`${failure}: ${reason instanceof Error ? reason.message : String(reason)}`)
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
      trans.__('Could not load the cluster types: %1', reason instanceof Error ? reason.message : String(reason))
    );
    return null;
  }
  const body = new NewClusterBody({
    form,
    settings,
    translator,
    preview: request => manager.client.preview(request),
    // Only a head start: without a spare, Start starts a runner itself. A site may allow none.
    warm:
      settings.current.limits.spareRunners === 0
        ? undefined
        : environment =>
            void manager.client.spare(environment).catch(reason => console.debug('No spare runner', reason))
  });
  const cluster = await SubmitDialog.show<ICreateRequest, IClusterModel>({
    title: trans.__('New Dask Cluster'),
    body,
    acceptLabel: trans.__('Start'),
    cancelLabel: trans.__('Cancel'),
    submit: async request => {
      const created = await manager.create(request);
      // Remembering is a convenience: a failure to write settings must not hide the new cluster.
      // Only what differs from the defaults in effect: a later site default then reaches the rest.
      const { key, options } = form.remembered(request.options) ?? { key: request.type, options: request.options };
      settings.setLastOptions(key, options).catch(reason => {
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
