import { nullTranslator } from '@jupyterlab/translation';
import type { IFormRenderer, IFormRendererRegistry } from '@jupyterlab/ui-components';
import { SETTINGS_ID } from '../settings';
import { addSettingsFields, typeOptions } from '../settingsform';

const trans = nullTranslator.load('test');

describe('typeOptions', () => {
  const types = [
    { id: 'local', title: 'Local', available: true },
    { id: 'slurm', title: 'SLURM', available: false, reason: 'sbatch is not on PATH' }
  ];

  it('offers every known type, saying why one is unavailable here', () => {
    expect(typeOptions(types, 'local', trans)).toEqual([
      { value: 'local', label: 'Local (local)' },
      { value: 'slurm', label: 'SLURM (slurm) — unavailable here: sbatch is not on PATH' }
    ]);
  });

  it('keeps a value that is not a known type, and says so once the types are known', () => {
    expect(typeOptions(types, 'site', trans)[0]).toEqual({
      value: 'site',
      label: 'site — not a cluster type known here'
    });
    expect(typeOptions(null, 'site', trans)).toEqual([{ value: 'site', label: 'site' }]);
  });
});

describe('addSettingsFields', () => {
  it('gives the Settings Editor fields for the default type, the presets and the layouts, asking the types once', async () => {
    const renderers: Record<string, IFormRenderer> = {};
    const registry = {
      addRenderer: (id: string, renderer: IFormRenderer) => (renderers[id] = renderer)
    } as unknown as IFormRendererRegistry;
    let asked = 0;
    addSettingsFields(registry, {
      loadTypes: async () => {
        asked++;
        return [];
      },
      trans
    });
    expect(Object.keys(renderers).sort()).toEqual([
      `${SETTINGS_ID}.dashboardLayouts`,
      `${SETTINGS_ID}.defaultType`,
      `${SETTINGS_ID}.presets`
    ]);
    expect(Object.values(renderers).every(r => typeof r.fieldRenderer === 'function')).toBe(true);
    // Nothing is asked before the editor renders a field.
    expect(asked).toBe(0);
  });
});
