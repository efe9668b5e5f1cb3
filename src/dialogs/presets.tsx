import type { TranslationBundle } from '@jupyterlab/translation';
import { HTMLSelect } from '@jupyterlab/ui-components';
import React, { useState } from 'react';
import type { IClusterType } from '../../protocol';
import type { IPreset } from '../settings';

/**
 * Properties of the presets bar.
 */
export interface IPresetBarProps {
  presets: ReadonlyArray<IPreset>;
  types: ReadonlyArray<IClusterType>;
  trans: TranslationBundle;
  /**
   * Apply a chosen preset to the form.
   */
  onApply: (preset: IPreset) => void;
  /**
   * Save the current options under a name.
   */
  onSave: (name: string) => void;
  /**
   * Give the chosen preset the typed name.
   */
  onRename: (preset: IPreset, name: string) => void;
  onDelete: (preset: IPreset) => void;
}

/**
 * A preset's identity: its type and name together.
 */
function presetKey(preset: IPreset): string {
  return JSON.stringify([preset.type, preset.name]);
}

/**
 * A small bar above the form: choose, save and delete named option sets.
 */
export function PresetBar(props: IPresetBarProps): JSX.Element {
  const { presets, trans } = props;
  const [selected, setSelected] = useState('');
  const [name, setName] = useState('');
  const chosen = presets.find(p => presetKey(p) === selected);
  const titleOf = (id: string) => props.types.find(t => t.id === id)?.title ?? id;

  return (
    <div className="jp-DaskClusters-presets">
      <HTMLSelect
        className="jp-DaskClusters-presetSelect"
        aria-label={trans.__('Preset')}
        value={chosen ? selected : ''}
        onChange={event => {
          const value = event.currentTarget.value;
          setSelected(value);
          const preset = presets.find(p => presetKey(p) === value);
          if (preset) {
            props.onApply(preset);
            setName(preset.name);
          }
        }}
      >
        <option value="">{presets.length ? trans.__('Choose a preset…') : trans.__('No presets saved')}</option>
        {presets.map(preset => (
          <option key={presetKey(preset)} value={presetKey(preset)}>
            {trans.__('%1 (%2)', preset.name, titleOf(preset.type))}
          </option>
        ))}
      </HTMLSelect>
      <button
        type="button"
        className="jp-mod-styled jp-DaskClusters-presetDelete"
        disabled={!chosen}
        title={trans.__('Delete the chosen preset')}
        onClick={() => {
          if (chosen) {
            props.onDelete(chosen);
            setSelected('');
          }
        }}
      >
        {trans.__('Delete')}
      </button>
      <input
        className="jp-mod-styled jp-DaskClusters-presetName"
        type="text"
        value={name}
        placeholder={trans.__('Preset name')}
        aria-label={trans.__('Preset name')}
        onChange={event => setName(event.currentTarget.value)}
      />
      <button
        type="button"
        className="jp-mod-styled jp-DaskClusters-presetRename"
        disabled={!chosen || !name.trim() || name.trim() === chosen.name}
        title={trans.__('Give the chosen preset the name typed here')}
        onClick={() => {
          if (chosen) {
            props.onRename(chosen, name.trim());
            setSelected(presetKey({ ...chosen, name: name.trim() }));
          }
        }}
      >
        {trans.__('Rename')}
      </button>
      <button
        type="button"
        className="jp-mod-styled jp-DaskClusters-presetSave"
        disabled={!name.trim()}
        title={trans.__('Save the current options as a preset')}
        onClick={() => props.onSave(name.trim())}
      >
        {trans.__('Save preset')}
      </button>
    </div>
  );
}
