import type { ErrorSchema } from '@rjsf/utils';
import type { ISignal } from '@lumino/signaling';
import { Signal } from '@lumino/signaling';
import type { IClusterType, ICreateRequest, IEnvironment, IFieldError } from '../../protocol';
import { ApiError, pointerSegments, toErrorSchema } from '../api/errors';
import type { IDaskSettings, IPreset } from '../settings';
import {
  applyLinked,
  changedFromDefaults,
  effectiveDefaults,
  environmentField,
  environmentForKernel,
  initialOptions,
  lastUsedKey,
  pickKnown,
  siteOptions,
  storedChanges
} from './defaults';

/**
 * What the [+New] form shows as errors: messages by field, and the rest.
 */
export interface IFormErrors {
  fields: ErrorSchema;
  messages: string[];
  /** What is wrong with the cluster's name (a field outside the type's form). */
  name?: string;
}

/**
 * Where a value in the form came from, so the dialog can say so.
 */
export type ValueOrigin =
  /** The type's own default, with no source given. */
  | { kind: 'default' }
  /** A default the site set: a source naming its config, or (no source) the settings overrides. */
  | { kind: 'site'; source?: string }
  /** A default the companion computed, e.g. from the CPUs of this machine. */
  | { kind: 'computed'; source: string }
  /** The user changed it from the default when last starting this type. */
  | { kind: 'lastUsed' }
  | { kind: 'preset'; preset: string }
  | { kind: 'kernel' }
  | { kind: 'edited' };

/**
 * Sources that name the site's own configuration: its defaults are the site's.
 */
const SITE_SOURCE = /\bsites?\b|dask config/i;

/**
 * Where a field's default came from, by the last of the type's sources for it.
 */
export function defaultOrigin(type: IClusterType, field: string): ValueOrigin {
  const source = type.sources.filter(s => s.field.replace(/^\//, '') === field).pop()?.source;
  if (!source) {
    return { kind: 'default' };
  }
  return SITE_SOURCE.test(source) ? { kind: 'site', source } : { kind: 'computed', source };
}

/**
 * Whether an origin is one of the defaults (what "reset" goes back to).
 */
function isDefault(origin: ValueOrigin): boolean {
  return origin.kind === 'default' || origin.kind === 'site' || origin.kind === 'computed';
}

/**
 * The first type that can be used: the preferred one if possible.
 */
export function chooseType(types: ReadonlyArray<IClusterType>, preferred: string): IClusterType | undefined {
  return types.find(t => t.id === preferred && t.available) ?? types.find(t => t.available) ?? types[0];
}

/**
 * Split server field errors into those the form can place and the others.
 */
export function formErrors(fields: ReadonlyArray<IFieldError>, type: IClusterType | undefined): IFormErrors {
  const properties = type?.schema.properties ?? {};
  const placed: IFieldError[] = [];
  const messages: string[] = [];
  let name: string | undefined;
  for (const field of fields) {
    if (field.path === '/name') {
      name = name ? `${name} ${field.message}` : field.message;
      continue;
    }
    // Accept pointers into the whole request as well as into its options.
    const path = field.path.startsWith('/options/') ? field.path.slice('/options'.length) : field.path;
    const segments = pointerSegments(path);
    if (segments.length && Object.hasOwn(properties, segments[0])) {
      placed.push({ path, message: field.message });
    } else if (segments.length) {
      messages.push(`${segments.join('.')}: ${field.message}`);
    } else {
      messages.push(field.message);
    }
  }
  return { fields: toErrorSchema(placed), messages, ...(name ? { name } : {}) };
}

/**
 * The state of the [+New] dialog, free of any DOM: type, values per type, name and errors.
 */
export class NewClusterForm {
  /**
   * Start from the types and environments the companion offers and the user's settings.
   */
  constructor(options: NewClusterForm.IOptions) {
    this.types = options.types;
    this._environments = options.environments;
    this._kernelName = options.kernelName;
    this._settings = options.settings;
    this._type = chooseType(this.types, options.settings.defaultType);
  }

  /**
   * Every type, available or not.
   */
  readonly types: ReadonlyArray<IClusterType>;

  /**
   * Emitted whenever something shown changes.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * The selected type, if the companion offered any.
   */
  get type(): IClusterType | undefined {
    return this._type;
  }

  /**
   * The values of the selected type's options.
   */
  get values(): Record<string, unknown> {
    const type = this._type;
    if (!type) {
      return {};
    }
    let values = this._values.get(type.id);
    if (!values) {
      values = this._start(type, true);
    }
    return values;
  }

  /**
   * Where the current value of a field came from: a site default, the
   * user's last-used values, a preset, the notebook's kernel, or the user's edit.
   */
  origin(field: string): ValueOrigin {
    const type = this._type;
    if (!type) {
      return { kind: 'default' };
    }
    if (!this._values.has(type.id)) {
      this._start(type, true);
    }
    return this._origins.get(type.id)?.[field] ?? defaultOrigin(type, field);
  }

  /**
   * Whether any value differs in origin from the site defaults (so "reset" has something to do).
   */
  get hasChanges(): boolean {
    const type = this._type;
    if (!type) {
      return false;
    }
    if (!this._values.has(type.id)) {
      this._start(type, true);
    }
    return Object.values(this._origins.get(type.id) ?? {}).some(
      origin => !isDefault(origin) && origin.kind !== 'kernel'
    );
  }

  /**
   * Put the selected type's values back to the site defaults (the kernel's environment kept).
   */
  resetToDefaults(): void {
    const type = this._type;
    if (!type) {
      return;
    }
    this._start(type, false);
    this._errors = { fields: {}, messages: [] };
    this._changed.emit();
  }

  /**
   * The name typed by the user ("" lets the companion choose).
   */
  get name(): string {
    return this._name;
  }

  /**
   * Whether the values are still those of the last refused request: the
   * companion judged them as a whole (memory against workers, walltime
   * against partition), so any change makes its verdict stale.
   */
  get refusalStands(): boolean {
    return this._refused !== null && this._refused === this.values;
  }

  /**
   * The errors of the last refused request.
   */
  get errors(): IFormErrors {
    return this._errors;
  }

  /**
   * The saved presets.
   */
  get presets(): ReadonlyArray<IPreset> {
    return this._settings.presets;
  }

  /**
   * Take new settings (presets saved or deleted elsewhere).
   */
  setSettings(settings: IDaskSettings): void {
    this._settings = settings;
    this._changed.emit();
  }

  /**
   * Select a type; values typed for other types are kept for when the user comes back.
   */
  selectType(id: string): void {
    const type = this.types.find(t => t.id === id);
    if (!type || !type.available || type === this._type) {
      return;
    }
    this._type = type;
    this._errors = { fields: {}, messages: [] };
    this._changed.emit();
  }

  /**
   * Take values from the form, setting linked fields when a profile changed.
   */
  setValues(next: Record<string, unknown>): void {
    const type = this._type;
    if (!type) {
      return;
    }
    const previous = this.values;
    const values = applyLinked(type, previous, next);
    this._values.set(type.id, values);
    const origins = { ...this._origins.get(type.id) };
    for (const key of Object.keys(values)) {
      if (values[key] !== previous[key]) {
        origins[key] = { kind: 'edited' };
      }
    }
    this._origins.set(type.id, origins);
    // A server message about a field is stale once the user edits that field.
    const fields = { ...this._errors.fields };
    for (const key of Object.keys(fields)) {
      if (key !== '__errors' && values[key] !== previous[key]) {
        delete fields[key];
      }
    }
    this._errors = { ...this._errors, fields };
    this._changed.emit();
  }

  /**
   * Set the cluster's name.
   */
  setName(name: string): void {
    this._name = name;
    // The companion judged the old name: its verdict does not hold for another.
    if (this._errors.name !== undefined) {
      this._errors = { fields: this._errors.fields, messages: this._errors.messages };
    }
    this._changed.emit();
  }

  /**
   * Apply a preset: its type, then its options over that type's current values.
   */
  applyPreset(preset: IPreset): void {
    const type = this.types.find(t => t.id === preset.type && t.available);
    if (!type) {
      return;
    }
    this._type = type;
    const options = pickKnown(type.schema, preset.options);
    this._values.set(type.id, { ...this.values, ...options });
    const origins = { ...this._origins.get(type.id) };
    for (const key of Object.keys(options)) {
      origins[key] = { kind: 'preset', preset: preset.name };
    }
    this._origins.set(type.id, origins);
    this._errors = { fields: {}, messages: [] };
    this._changed.emit();
  }

  /**
   * What to remember of started options, under the key to remember them by:
   * only what differs from the defaults in effect now.
   */
  remembered(options: Record<string, unknown>): { key: string; options: Record<string, unknown> } | undefined {
    const type = this._type;
    if (!type) {
      return undefined;
    }
    const defaults = effectiveDefaults(type, this._settings.siteOptions);
    return { key: lastUsedKey(type), options: changedFromDefaults(type, options, defaults) };
  }

  /**
   * The request to send.
   */
  request(): ICreateRequest {
    const type = this._type;
    if (!type) {
      throw new Error('No cluster type is available.');
    }
    if (!type.available) {
      throw new Error(type.reason || type.title);
    }
    const request: ICreateRequest = { type: type.id, options: this.values };
    const name = this._name.trim();
    if (name) {
      request.name = name;
    }
    return request;
  }

  /**
   * Forget the errors shown, e.g. once the companion accepted the options for a preview.
   */
  clearErrors(): void {
    if (this._errors.messages.length === 0 && Object.keys(this._errors.fields).length === 0) {
      return;
    }
    this._errors = { fields: {}, messages: [] };
    this._changed.emit();
  }

  /**
   * Show why a request failed: field messages next to their fields, the rest above the form.
   */
  showError(error: unknown): void {
    this._refused = this.values;
    if (error instanceof ApiError) {
      const placed = formErrors(error.fields, this._type);
      // The server's summary repeats its field messages; it is only worth
      // showing when the request failed as a whole.
      const summary = error.fields.length > 0 ? [] : [error.message];
      this._errors = {
        ...placed,
        messages: [...summary, ...placed.messages].filter(Boolean)
      };
    } else {
      this._errors = {
        fields: {},
        messages: [error instanceof Error ? error.message : String(error)]
      };
    }
    this._changed.emit();
  }

  /**
   * Fill a type's values from its defaults (and the last-used ones when
   * asked), recording where each came from.
   */
  private _start(type: IClusterType, withLastUsed: boolean): Record<string, unknown> {
    const site = siteOptions(type, this._settings.siteOptions);
    const stored = this._settings.lastOptions[lastUsedKey(type)];
    // Only what differs from the defaults in effect counts as last used.
    const lastUsed = withLastUsed
      ? storedChanges(type, stored, effectiveDefaults(type, this._settings.siteOptions))
      : {};
    const values = initialOptions({
      type,
      site,
      lastUsed,
      environments: this._environments,
      kernelName: this._kernelName
    });
    const origins: Record<string, ValueOrigin> = {};
    for (const key of Object.keys(site)) {
      origins[key] = { kind: 'site' };
    }
    for (const key of Object.keys(lastUsed)) {
      origins[key] = { kind: 'lastUsed' };
    }
    const env = environmentForKernel(this._environments, this._kernelName);
    const field = env && environmentField(type.schema, env.python);
    if (field && values[field] === env.python && lastUsed[field] !== env.python) {
      origins[field] = { kind: 'kernel' };
    }
    this._values.set(type.id, values);
    this._origins.set(type.id, origins);
    return values;
  }

  private _environments: ReadonlyArray<IEnvironment>;
  private _kernelName: string | null;
  private _settings: IDaskSettings;
  private _type: IClusterType | undefined;
  private _values = new Map<string, Record<string, unknown>>();
  private _origins = new Map<string, Record<string, ValueOrigin>>();
  private _name = '';
  private _errors: IFormErrors = { fields: {}, messages: [] };
  private _refused: Record<string, unknown> | null = null;
  private _changed = new Signal<this, void>(this);
}

/**
 * The namespace of `NewClusterForm` statics.
 */
export namespace NewClusterForm {
  /**
   * Options of the form state.
   */
  export interface IOptions {
    types: ReadonlyArray<IClusterType>;
    environments: ReadonlyArray<IEnvironment>;
    settings: IDaskSettings;
    /**
     * The kernel of the last-focused notebook or console, if any.
     */
    kernelName: string | null;
  }
}
