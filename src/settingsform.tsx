import type { TranslationBundle } from '@jupyterlab/translation';
import type { IFormRendererRegistry } from '@jupyterlab/ui-components';
import { HTMLSelect } from '@jupyterlab/ui-components';
import type { Field, FieldProps, RJSFSchema } from '@rjsf/utils';
import React, { useEffect, useState } from 'react';
import type { IClusterType } from '../protocol';
import { isRecord, SETTINGS_ID } from './settings';

/**
 * A cluster type as the Settings Editor offers it.
 */
export type TypeChoice = Pick<IClusterType, 'id' | 'title' | 'available' | 'reason'>;

/**
 * The choices of a cluster type select: the known types, and the current value even when it is not one of them.
 */
export function typeOptions(
  types: ReadonlyArray<TypeChoice> | null,
  value: string,
  trans: TranslationBundle
): Array<{ label: string; value: string }> {
  const options = (types ?? []).map(type => ({
    value: type.id,
    label: type.available
      ? trans.__('%1 (%2)', type.title, type.id)
      : trans.__('%1 (%2) — unavailable here: %3', type.title, type.id, type.reason ?? '')
  }));
  if (value && !options.some(o => o.value === value)) {
    options.unshift({
      value,
      label: types === null ? value : trans.__('%1 — not a cluster type known here', value)
    });
  }
  return options;
}

/**
 * Register the Settings Editor fields of the extension: cluster types as a choice, presets' options as JSON, arrays with one description each.
 */
export function addSettingsFields(
  registry: IFormRendererRegistry,
  options: {
    loadTypes: () => Promise<TypeChoice[]>;
    trans: TranslationBundle;
  }
): void {
  const { trans } = options;
  let types: Promise<TypeChoice[]> | null = null;
  // Asked once per page, and only when the Settings Editor shows the form.
  const loadTypes = () => (types ??= options.loadTypes().catch(() => []));
  const typeField = Private.typeField(loadTypes, trans);
  const optionsField = Private.optionsField(trans);
  const arrayField = Private.arrayField({}, {});

  registry.addRenderer(`${SETTINGS_ID}.defaultType`, {
    fieldRenderer: typeField
  });
  registry.addRenderer(`${SETTINGS_ID}.presets`, {
    fieldRenderer: Private.arrayField(
      {
        items: {
          type: { 'ui:field': 'daskClusterType' },
          options: { 'ui:field': 'daskOptions' }
        }
      },
      { daskClusterType: typeField, daskOptions: optionsField }
    )
  });
  registry.addRenderer(`${SETTINGS_ID}.dashboardLayouts`, {
    fieldRenderer: Private.arrayField({ items: { plots: { 'ui:field': 'daskArray' } } }, { daskArray: arrayField })
  });
}

namespace Private {
  /**
   * Put the fields' styles in the page: they load with the first field the Settings Editor shows, not with the page.
   */
  function loadStyle(): void {
    void import('../style/settings.css');
  }

  /**
   * The label of a custom field, which the field template leaves out.
   */
  function FieldLabel(props: FieldProps): JSX.Element {
    return (
      <label htmlFor={props.idSchema.$id} className="jp-FormGroup-fieldLabel">
        {props.schema.title ?? props.name}
      </label>
    );
  }

  /**
   * A select among the known cluster types.
   */
  export function typeField(loadTypes: () => Promise<TypeChoice[]>, trans: TranslationBundle): Field {
    return function ClusterTypeField(props: FieldProps): JSX.Element {
      const [types, setTypes] = useState<TypeChoice[] | null>(null);
      useEffect(loadStyle, []);
      useEffect(() => {
        let live = true;
        void loadTypes().then(list => live && setTypes(list));
        return () => {
          live = false;
        };
      }, []);
      const value = typeof props.formData === 'string' ? props.formData : '';
      // A custom field gets no label from the template: it brings its own.
      return (
        <div className="jp-DaskClusters-typeField">
          <FieldLabel {...props} />
          <HTMLSelect
            id={props.idSchema.$id}
            className="jp-DaskClusters-typeSelect"
            value={value}
            disabled={props.disabled || props.readonly}
            options={typeOptions(types, value, trans)}
            onChange={event => props.onChange(event.target.value)}
          />
        </div>
      );
    };
  }

  /**
   * A preset's options as a JSON object, checked when the field is left.
   */
  export function optionsField(trans: TranslationBundle): Field {
    return function PresetOptionsField(props: FieldProps): JSX.Element {
      const initial = JSON.stringify(props.formData ?? {}, null, 2);
      const [text, setText] = useState(initial);
      const [error, setError] = useState('');
      useEffect(loadStyle, []);
      const id = props.idSchema.$id;
      const leave = () => {
        try {
          const parsed: unknown = JSON.parse(text);
          if (!isRecord(parsed)) {
            throw new Error('not an object');
          }
          setError('');
          props.onChange(parsed);
        } catch {
          setError(trans.__('Write the options as a JSON object, e.g. {"workers": 2}.'));
        }
      };
      return (
        <div className="jp-DaskClusters-presetOptions">
          <FieldLabel {...props} />
          <textarea
            id={id}
            className="jp-mod-styled jp-DaskClusters-presetOptionsText"
            rows={Math.min(8, Math.max(2, text.split('\n').length))}
            value={text}
            aria-invalid={!!error}
            aria-describedby={`${id}-description`}
            onChange={event => setText(event.target.value)}
            onBlur={leave}
          />
          {error && (
            <div className="jp-DaskClusters-presetOptionsError" role="alert">
              {error}
            </div>
          )}
          <div className="jp-FormGroup-description" id={`${id}-description`}>
            {props.schema.description}
          </div>
        </div>
      );
    };
  }

  /**
   * JupyterLab's array field, its description left to the field template (which prints it once, below), with hints for its items.
   */
  export function arrayField(uiSchema: Record<string, unknown>, fields: Record<string, Field>): Field {
    return function OneDescriptionArrayField(props: FieldProps): JSX.Element {
      const { ArrayField } = props.registry.fields;
      const schema: RJSFSchema = { ...props.schema };
      delete schema.description;
      return (
        <ArrayField
          {...props}
          schema={schema}
          uiSchema={{ ...props.uiSchema, ...uiSchema }}
          registry={{
            ...props.registry,
            fields: { ...props.registry.fields, ...fields }
          }}
        />
      );
    };
  }
}
