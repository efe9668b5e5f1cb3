import type { IFormRenderer, IFormRendererRegistry } from '@jupyterlab/ui-components';
import type { Field, FieldProps } from '@rjsf/utils';
import React, { Suspense } from 'react';
import { SETTINGS_ID } from './settings';
import type { addSettingsFields } from './settingsform';

/**
 * The settings that `addSettingsFields` gives fields of their own.
 */
const FIELDS = ['defaultType', 'presets', 'dashboardLayouts'];

/**
 * Register the Settings Editor fields of the extension; their code loads when the editor first shows one.
 */
export function addSettingsFieldsOnDemand(
  registry: IFormRendererRegistry,
  options: Parameters<typeof addSettingsFields>[1]
): void {
  let fields: Promise<Map<string, Field>> | null = null;
  const load = () =>
    (fields ??= import('./settingsform').then(module => {
      // The fields as the module would register them, kept by id.
      const found = new Map<string, Field>();
      const collect = { addRenderer: (id: string, renderer: IFormRenderer) => found.set(id, renderer.fieldRenderer!) };
      module.addSettingsFields(collect as unknown as IFormRendererRegistry, options);
      return found;
    }));
  for (const name of FIELDS) {
    const id = `${SETTINGS_ID}.${name}`;
    const Loaded = React.lazy(() => load().then(found => ({ default: found.get(id) ?? (() => null) })));
    const LazyField = (props: FieldProps) => (
      <Suspense fallback={null}>
        <Loaded {...props} />
      </Suspense>
    );
    registry.addRenderer(id, { fieldRenderer: LazyField });
  }
}
