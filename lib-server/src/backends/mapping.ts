/**
 * The argument mapping of a type defined as data: how a form's options become
 * the keyword arguments of a Dask cluster class.
 *
 * A mapping is JSON. A string that is exactly `{name}` becomes the value of
 * option `name` (keeping its type); `{name}` inside a longer string is
 * replaced by the value's text. An object with a `cls` key is a call: the
 * runner imports `cls` and calls it with its `kwargs` (mapped the same way)
 * and with `environ`, keyword arguments read from the runner's environment
 * variables (for tokens, which never pass through a request or a log).
 *
 * The calls are sent apart from the plain keyword arguments, so a value a
 * user typed is only ever data: it cannot become a call.
 */

import { isObject } from '../util/objects.js';

/** A call the runner makes to build one argument, e.g. a UNICORE client. */
export interface ICallSpec {
  cls: string;
  kwargs: Record<string, unknown>;
  calls: Record<string, ICallSpec>;
  /** keyword -> name of an environment variable of the runner. */
  environ: Record<string, string>;
}

/** A rendered mapping: plain keyword arguments and the calls that build the others. */
export interface IRenderedArguments {
  kwargs: Record<string, unknown>;
  calls: Record<string, ICallSpec>;
}

const WHOLE = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/;
const INSIDE = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

function renderValue(template: unknown, values: Record<string, unknown>): unknown {
  if (typeof template === 'string') {
    const whole = WHOLE.exec(template);
    if (whole !== null) {
      return values[whole[1]];
    }
    return template.replace(INSIDE, (_match, name: string) => String(values[name] ?? ''));
  }
  if (Array.isArray(template)) {
    return template.map(item => renderValue(item, values));
  }
  if (isObject(template)) {
    return Object.fromEntries(Object.entries(template).map(([key, item]) => [key, renderValue(item, values)]));
  }
  return template;
}

function renderCall(template: Record<string, unknown>, values: Record<string, unknown>): ICallSpec {
  const inner = renderArguments(isObject(template.kwargs) ? template.kwargs : {}, values);
  const environ = isObject(template.environ) ? template.environ : {};
  return {
    cls: String(template.cls),
    kwargs: inner.kwargs,
    calls: inner.calls,
    environ: Object.fromEntries(Object.entries(environ).map(([key, name]) => [key, String(name)]))
  };
}

/** `mapping` with the option `values` put in; calls set apart. */
export function renderArguments(mapping: Record<string, unknown>, values: Record<string, unknown>): IRenderedArguments {
  const kwargs: Record<string, unknown> = {};
  const calls: Record<string, ICallSpec> = {};
  for (const [key, template] of Object.entries(mapping)) {
    if (isObject(template) && typeof template.cls === 'string') {
      calls[key] = renderCall(template, values);
    } else {
      const value = renderValue(template, values);
      if (value !== undefined) {
        kwargs[key] = value;
      }
    }
  }
  return { kwargs, calls };
}

/** Every `{name}` a mapping (or a snippet template) refers to. */
export function placeholders(template: unknown): Set<string> {
  const found = new Set<string>();
  const walk = (value: unknown): void => {
    if (typeof value === 'string') {
      for (const match of value.matchAll(INSIDE)) {
        found.add(match[1]);
      }
    } else if (Array.isArray(value)) {
      value.forEach(walk);
    } else if (isObject(value)) {
      Object.values(value).forEach(walk);
    }
  };
  walk(template);
  return found;
}
