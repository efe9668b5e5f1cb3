import type { ISettingRegistry } from '@jupyterlab/settingregistry';
import type { JSONValue } from '@lumino/coreutils';
import type { ICompanionLimits, ICompanionSettings } from '../protocol';
import type { ISignal } from '@lumino/signaling';
import { Signal } from '@lumino/signaling';
import type { IDaskClusterSettings } from './tokens';
import type { IDashboardLayout, IDaskSettings, IPreset } from './types';

/**
 * The id of the settings schema (`schema/plugin.json`).
 */
export const SETTINGS_ID = 'jupyterlab-dask-clusters:plugin';

export type { IDashboardLayout, IDaskSettings, IPreset } from './types';

/**
 * The values used before the settings are loaded, and for malformed entries.
 */
export const DEFAULT_SETTINGS: IDaskSettings = {
  defaultType: 'local',
  lastOptions: {},
  presets: [],
  memoryReserve: '',
  confirmStop: true,
  keepEnded: 20,
  gateway: { optionMapping: {} },
  workerEnvironment: {},
  // Without settings the companion applies its own defaults.
  limits: {},
  dashboardLayouts: []
};

/**
 * Whether a value is a plain object.
 */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Read settings from a composite value, dropping entries of the wrong shape.
 */
export function readSettings(composite: unknown): IDaskSettings {
  const raw = isRecord(composite) ? composite : {};
  const lastOptions = readOptions(raw.lastOptions);
  const presets: IPreset[] = [];
  if (Array.isArray(raw.presets)) {
    for (const p of raw.presets) {
      if (isRecord(p) && typeof p.name === 'string' && typeof p.type === 'string' && isRecord(p.options)) {
        presets.push({ name: p.name, type: p.type, options: p.options });
      }
    }
  }
  return {
    defaultType:
      typeof raw.defaultType === 'string' && raw.defaultType ? raw.defaultType : DEFAULT_SETTINGS.defaultType,
    lastOptions,
    presets,
    memoryReserve: typeof raw.memoryReserve === 'string' ? raw.memoryReserve.trim() : '',
    confirmStop: typeof raw.confirmStop === 'boolean' ? raw.confirmStop : DEFAULT_SETTINGS.confirmStop,
    keepEnded:
      typeof raw.keepEnded === 'number' && Number.isInteger(raw.keepEnded) && raw.keepEnded >= 0
        ? Math.min(raw.keepEnded, 1000)
        : DEFAULT_SETTINGS.keepEnded,
    gateway: Private.readGateway(raw.gateway),
    workerEnvironment: Private.readStrings(raw.workerEnvironment),
    limits: Private.readLimits(raw.limits),
    dashboardLayouts: Private.readLayouts(raw.dashboardLayouts)
  };
}

/**
 * Options per type (`lastOptions`), dropping entries that are not objects.
 */
export function readOptions(value: unknown): Record<string, Record<string, unknown>> {
  const options: Record<string, Record<string, unknown>> = {};
  if (isRecord(value)) {
    for (const [type, entry] of Object.entries(value)) {
      if (isRecord(entry)) {
        options[type] = entry;
      }
    }
  }
  return options;
}

/**
 * Read the settings of the registry. The composite's `lastOptions` is the
 * user's when they have any and the default otherwise, so the two are read
 * apart: the user's own values are their last-used ones, and the default
 * (which a site sets through the settings overrides) holds site defaults,
 * never written back as the user's.
 */
export function readRegistrySettings(settings: ISettingRegistry.ISettings): IDaskSettings {
  const read = readSettings(settings.composite);
  const site = readOptions(settings.default('lastOptions'));
  return {
    ...read,
    lastOptions: readOptions(settings.user.lastOptions),
    ...(Object.keys(site).length ? { siteOptions: site } : {})
  };
}

/**
 * The presets after saving one (same name and type replaced in place).
 */
export function withPreset(presets: IPreset[], preset: IPreset): IPreset[] {
  const index = presets.findIndex(p => p.name === preset.name && p.type === preset.type);
  if (index === -1) {
    return [...presets, preset];
  }
  const next = [...presets];
  next[index] = preset;
  return next;
}

/**
 * The presets after deleting one.
 */
export function withoutPreset(presets: IPreset[], name: string, type: string): IPreset[] {
  return presets.filter(p => !(p.name === name && p.type === type));
}

/**
 * A JSON copy of form values: drops `undefined`, which the settings validator refuses.
 */
export function toJSON(value: unknown): JSONValue {
  return JSON.parse(JSON.stringify(value ?? null)) as JSONValue;
}

/**
 * The extension's settings over JupyterLab's setting registry (or in memory when there is none).
 */
export class ClusterSettings implements IDaskClusterSettings {
  /**
   * Wrap loaded settings; `null` keeps everything in memory for this session.
   */
  constructor(settings: ISettingRegistry.ISettings | null) {
    this._settings = settings;
    if (settings) {
      this._current = readRegistrySettings(settings);
      settings.changed.connect(this._onChanged, this);
    }
  }

  /**
   * Emitted when the settings change.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * The current values.
   */
  get current(): IDaskSettings {
    return this._current;
  }

  /**
   * Remember the options last used for a type: those the user changed from the
   * defaults, replacing what was stored (nothing changed forgets the type).
   */
  async setLastOptions(type: string, options: Record<string, unknown>): Promise<void> {
    const stored = { ...this._current.lastOptions };
    delete stored[type];
    if (Object.values(options).some(value => value !== undefined)) {
      stored[type] = options;
    }
    await this._set('lastOptions', stored);
  }

  /**
   * Save a preset.
   */
  async savePreset(preset: IPreset): Promise<void> {
    await this._set('presets', withPreset(this._current.presets, preset));
  }

  /**
   * Delete a preset.
   */
  async deletePreset(name: string, type: string): Promise<void> {
    await this._set('presets', withoutPreset(this._current.presets, name, type));
  }

  /**
   * Save a dashboard layout, replacing one of the same name.
   */
  async saveLayout(layout: IDashboardLayout): Promise<void> {
    const others = this._current.dashboardLayouts.filter(l => l.name !== layout.name);
    await this._set('dashboardLayouts', [...others, layout]);
  }

  private async _set<K extends 'lastOptions' | 'presets' | 'dashboardLayouts'>(
    key: K,
    value: IDaskSettings[K]
  ): Promise<void> {
    this._current = { ...this._current, [key]: value };
    this._changed.emit();
    if (this._settings) {
      await this._settings.set(key, toJSON(value));
    }
  }

  private _onChanged(): void {
    if (this._settings) {
      this._current = readRegistrySettings(this._settings);
      this._changed.emit();
    }
  }

  private _settings: ISettingRegistry.ISettings | null;
  private _current: IDaskSettings = DEFAULT_SETTINGS;
  private _changed = new Signal<this, void>(this);
}

namespace Private {
  /**
   * The non-empty trimmed text of a value, if it is one.
   */
  export function text(value: unknown): string | undefined {
    return typeof value === 'string' && value.trim() ? value.trim() : undefined;
  }

  /**
   * The string entries of an object.
   */
  export function readStrings(value: unknown): Record<string, string> {
    const strings: Record<string, string> = {};
    if (isRecord(value)) {
      for (const [key, entry] of Object.entries(value)) {
        if (typeof entry === 'string') {
          strings[key] = entry;
        }
      }
    }
    return strings;
  }

  /**
   * The limits that are whole numbers of at least 1; the companion's defaults stand for the rest.
   */
  export function readLimits(value: unknown): ICompanionLimits {
    const raw = isRecord(value) ? value : {};
    const limits: ICompanionLimits = {};
    for (const key of ['maxClusters', 'maxWorkersPerCluster'] as const) {
      const entry = raw[key];
      if (typeof entry === 'number' && Number.isInteger(entry) && entry >= 1) {
        limits[key] = entry;
      }
    }
    // Minutes of lifetime and idle timeout, and spare runners: 0 means none.
    for (const key of [
      'maxLifetimeMinutes',
      'defaultLifetimeMinutes',
      'maxIdleTimeoutMinutes',
      'defaultIdleTimeoutMinutes',
      'spareRunners'
    ] as const) {
      const entry = raw[key];
      if (typeof entry === 'number' && Number.isInteger(entry) && entry >= 0) {
        limits[key] = entry;
      }
    }
    if (raw.keepRunning === 'never' || raw.keepRunning === 'optional' || raw.keepRunning === 'default') {
      limits.keepRunning = raw.keepRunning;
    }
    return limits;
  }

  /**
   * The layouts with a name and at least one plot path.
   */
  export function readLayouts(value: unknown): IDashboardLayout[] {
    const layouts: IDashboardLayout[] = [];
    for (const entry of Array.isArray(value) ? value : []) {
      const name = isRecord(entry) ? text(entry.name) : undefined;
      const plots =
        isRecord(entry) && Array.isArray(entry.plots)
          ? entry.plots.filter((p): p is string => typeof p === 'string' && !!p)
          : [];
      if (name && plots.length) {
        layouts.push({ name, plots });
      }
    }
    return layouts;
  }

  /**
   * The gateway settings, keeping only non-empty texts.
   */
  export function readGateway(value: unknown): ICompanionSettings['gateway'] {
    const raw = isRecord(value) ? value : {};
    const mapping = isRecord(raw.optionMapping) ? raw.optionMapping : {};
    const address = text(raw.address);
    const proxyAddress = text(raw.proxyAddress);
    const environment = text(mapping.environment);
    const envVars = text(mapping.envVars);
    return {
      ...(address ? { address } : {}),
      ...(proxyAddress ? { proxyAddress } : {}),
      optionMapping: {
        ...(environment ? { environment } : {}),
        ...(envVars ? { envVars } : {})
      }
    };
  }
}
