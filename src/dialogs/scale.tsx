import type { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import { FormComponent, ReactWidget } from '@jupyterlab/ui-components';
import type { ReadonlyJSONObject } from '@lumino/coreutils';
import type { ErrorSchema } from '@rjsf/utils';
import type { JSONSchema7 } from 'json-schema';
import React from 'react';
import type { IClusterModel, IScaling } from '../../protocol';
import { ApiError, toErrorSchema } from '../api/errors';
import type { IDaskClusterManager } from '../tokens';
import { TRANSLATION_DOMAIN } from '../tokens';
import type { ISignal } from '@lumino/signaling';
import { Signal } from '@lumino/signaling';
import { clientErrors, humanErrors } from './fielderrors';
import type { ISubmitBody } from './submit';
import { formValidator } from './validator';
import { SubmitDialog } from './submit';
import '../../style/base.css';
import '../../style/dialog.css';

/**
 * The values of the scale form: both modes' numbers, so switching loses nothing.
 */
export interface IScaleValues {
  mode: 'fixed' | 'adaptive';
  workers?: number;
  minimum?: number;
  maximum?: number;
}

/**
 * The form values for a cluster's current scaling.
 */
export function valuesFromScaling(scaling: IScaling, workers: number): IScaleValues {
  return scaling.mode === 'adaptive'
    ? {
        mode: 'adaptive',
        workers: Math.max(workers, scaling.minimum),
        minimum: scaling.minimum,
        maximum: scaling.maximum
      }
    : {
        mode: 'fixed',
        workers: scaling.workers,
        minimum: Math.min(1, scaling.workers),
        maximum: Math.max(scaling.workers, 1)
      };
}

/**
 * The request body for the form values.
 */
export function scalingFromValues(values: IScaleValues, trans: TranslationBundle): IScaling {
  const need = (value: number | undefined, title: string): number => {
    if (value === undefined) {
      throw new Error(trans.__('Enter a number for %1.', title));
    }
    return value;
  };
  return values.mode === 'adaptive'
    ? {
        mode: 'adaptive',
        minimum: need(values.minimum, trans.__('Minimum workers')),
        maximum: need(values.maximum, trans.__('Maximum workers'))
      }
    : { mode: 'fixed', workers: need(values.workers, trans.__('Workers')) };
}

/**
 * Take the form's data over the previous values; the hidden mode's numbers stay, so switching back restores them.
 */
export function mergeScaleValues(
  previous: IScaleValues,
  data: Readonly<Record<string, unknown>> | undefined
): IScaleValues {
  const next = { ...previous };
  if (data?.mode === 'fixed' || data?.mode === 'adaptive') {
    next.mode = data.mode;
  }
  for (const key of ['workers', 'minimum', 'maximum'] as const) {
    if (data && key in data) {
      // A cleared field stays empty instead of snapping back to its old number.
      const value = data[key];
      next[key] = typeof value === 'number' && Number.isFinite(value) ? value : undefined;
    }
  }
  return next;
}

/**
 * The schema of the scale form; only the fields of the chosen mode are shown.
 */
export function scaleSchema(mode: IScaleValues['mode'], trans: TranslationBundle): JSONSchema7 {
  const count = (title: string, minimum: number): JSONSchema7 => ({
    type: 'integer',
    title,
    minimum
  });
  const properties: Record<string, JSONSchema7> = {
    // Labels as `oneOf` titles: every rjsf release reads them there.
    mode: {
      type: 'string',
      title: trans.__('Scaling'),
      oneOf: [
        { const: 'fixed', title: trans.__('Fixed') },
        { const: 'adaptive', title: trans.__('Adaptive') }
      ]
    }
  };
  if (mode === 'adaptive') {
    properties.minimum = count(trans.__('Minimum workers'), 0);
    properties.maximum = count(trans.__('Maximum workers'), 1);
  } else {
    properties.workers = count(trans.__('Workers'), 0);
  }
  return { type: 'object', required: Object.keys(properties), properties };
}

/**
 * The body of the scale dialog.
 */
export class ScaleBody extends ReactWidget implements ISubmitBody<IScaling> {
  /**
   * Create the body for a cluster.
   */
  constructor(cluster: IClusterModel, translator: ITranslator) {
    super();
    this._trans = translator.load(TRANSLATION_DOMAIN);
    this._values = valuesFromScaling(cluster.scaling, cluster.workers);
    this.addClass('jp-DaskClusters-scaleDialog');
  }

  /**
   * The scaling to request.
   */
  getValue(): IScaling {
    return scalingFromValues(this._values, this._trans);
  }

  /**
   * Show the companion's objections next to the fields.
   */
  showError(error: unknown): void {
    if (error instanceof ApiError) {
      this._errors = toErrorSchema(error.fields);
      // The summary repeats the field messages: say each once, next to its field.
      this._message = error.fields.length > 0 ? '' : error.message;
    } else {
      this._errors = {};
      this._message = error instanceof Error ? error.message : String(error);
    }
    this.update();
  }

  /**
   * Why Scale cannot be used now (an empty or out-of-range number), or null.
   */
  invalidReason(): string | null {
    const schema = scaleSchema(this._values.mode, this._trans);
    const [first] = clientErrors({ ...this._values }, schema, {}, this._trans);
    return first ? this._trans.__('To scale, fix %1: %2', first.title, first.message) : null;
  }

  /**
   * Emitted when the values change.
   */
  get validityChanged(): ISignal<this, void> {
    return this._changed;
  }

  protected render(): JSX.Element {
    const trans = this._trans;
    const schema = scaleSchema(this._values.mode, trans);
    return (
      <>
        {this._message && (
          <div className="jp-DaskClusters-formError" role="alert">
            {this._message}
          </div>
        )}
        <FormComponent
          schema={schema}
          uiSchema={{ mode: { 'ui:widget': 'radio' } }}
          formData={{ ...this._values } as ReadonlyJSONObject}
          formContext={{ defaultFormData: {} }}
          extraErrors={this._errors}
          validator={formValidator()}
          transformErrors={humanErrors(schema, {}, trans)}
          liveValidate
          showErrorList={false}
          onChange={event => {
            this._values = mergeScaleValues(this._values, event.formData);
            this._changed.emit();
            this.update();
          }}
        />
      </>
    );
  }

  private _trans: TranslationBundle;
  private _values: IScaleValues;
  private _errors: ErrorSchema = {};
  private _message = '';
  private _changed = new Signal<this, void>(this);
}

/**
 * Ask how to scale a cluster and do it; resolves with the answer, or `null` when cancelled.
 */
export function showScaleDialog(options: {
  cluster: IClusterModel;
  manager: IDaskClusterManager;
  translator: ITranslator;
}): Promise<IClusterModel | null> {
  const { cluster, manager, translator } = options;
  const trans = translator.load(TRANSLATION_DOMAIN);
  return SubmitDialog.show<IScaling, IClusterModel>({
    title: trans.__('Scale %1', cluster.name),
    body: new ScaleBody(cluster, translator),
    acceptLabel: trans.__('Scale'),
    cancelLabel: trans.__('Cancel'),
    submit: scaling => manager.scale(cluster.id, scaling)
  });
}
