import type { ObjectFieldTemplatePropertyType, ObjectFieldTemplateProps } from '@rjsf/utils';
import React, { useState } from 'react';
import type { FormData } from './validator';

/**
 * A section of a type's form, as its uiSchema's `ui:groups` lists them.
 */
export interface IFormGroup {
  title: string;
  fields: string[];
  /**
   * Start folded (advanced settings); a section with an error opens anyway.
   */
  collapsed?: boolean;
}

/**
 * What the [+New] form passes its sections through `formContext`.
 */
export interface ISectionContext {
  /**
   * Per field, a short mark of where its value came from ("last used", ...).
   * Data, not a function: rjsf re-renders a field only when its props differ
   * as data.
   */
  origins?: Record<string, { kind: string; label: string; title?: string }>;
}

/**
 * The sections a uiSchema declares, each with at least one known field.
 */
export function formGroups(uiSchema: Record<string, unknown> | undefined, fields: ReadonlyArray<string>): IFormGroup[] {
  const declared = uiSchema?.['ui:groups'];
  if (!Array.isArray(declared)) {
    return [];
  }
  return declared
    .filter(
      (group): group is IFormGroup =>
        typeof group === 'object' && group !== null && typeof group.title === 'string' && Array.isArray(group.fields)
    )
    .map(group => ({
      ...group,
      fields: group.fields.filter(field => fields.includes(field))
    }))
    .filter(group => group.fields.length > 0);
}

/**
 * One field, with the mark of where its value came from.
 */
function Field(props: { property: ObjectFieldTemplatePropertyType; context: ISectionContext }): JSX.Element {
  const { property, context } = props;
  const origin = context.origins?.[property.name];
  return (
    <div className="jp-DaskClusters-formField" data-field={property.name} data-origin={origin?.kind}>
      {origin && (
        <span className="jp-DaskClusters-origin" aria-hidden="true" title={origin.title}>
          {origin.label}
        </span>
      )}
      {property.content}
    </div>
  );
}

/**
 * A titled section; folded ones are a `<details>` that opens for an error.
 */
function Section(props: {
  group: IFormGroup;
  properties: ObjectFieldTemplatePropertyType[];
  context: ISectionContext;
  hasError: boolean;
}): JSX.Element {
  const { group, properties, context, hasError } = props;
  const [open, setOpen] = useState(!group.collapsed);
  const fields = properties.map(property => <Field key={property.name} property={property} context={context} />);
  if (!group.collapsed) {
    return (
      <section className="jp-DaskClusters-formSection">
        <h3 className="jp-DaskClusters-formSectionTitle">{group.title}</h3>
        {fields}
      </section>
    );
  }
  return (
    <details
      className="jp-DaskClusters-formSection"
      open={open || hasError}
      onToggle={event => setOpen(event.currentTarget.open)}
    >
      <summary className="jp-DaskClusters-formSectionTitle">{group.title}</summary>
      {fields}
    </details>
  );
}

/**
 * The form's object template: the root in the sections of `ui:groups`
 * (fields not listed stay after them), nested objects as plain fieldsets.
 */
export function SectionedObjectTemplate(props: ObjectFieldTemplateProps<FormData>): JSX.Element {
  const context = (props.formContext ?? {}) as ISectionContext;
  const visible = props.properties.filter(property => !property.hidden);
  const hidden = props.properties.filter(property => property.hidden);
  const isRoot = props.idSchema.$id === 'root';
  const groups = isRoot
    ? formGroups(
        props.uiSchema as Record<string, unknown> | undefined,
        visible.map(property => property.name)
      )
    : [];
  const grouped = new Set(groups.flatMap(group => group.fields));
  const errors = (props.errorSchema ?? {}) as Record<string, unknown>;
  const hasError = (field: string) => {
    const entry = errors[field] as { __errors?: unknown[] } | undefined;
    return !!entry?.__errors?.length;
  };
  return (
    <fieldset id={props.idSchema.$id} className="jp-DaskClusters-formSections">
      {!isRoot && props.title && <legend>{props.title}</legend>}
      {groups.map(group => (
        <Section
          key={group.title}
          group={group}
          properties={group.fields.map(field => visible.find(property => property.name === field)!)}
          context={context}
          hasError={group.fields.some(hasError)}
        />
      ))}
      {visible
        .filter(property => !grouped.has(property.name))
        .map(property => (
          <Field key={property.name} property={property} context={context} />
        ))}
      {hidden.map(property => (
        <React.Fragment key={property.name}>{property.content}</React.Fragment>
      ))}
    </fieldset>
  );
}
