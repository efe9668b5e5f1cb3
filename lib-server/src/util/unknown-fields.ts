/**
 * The one message for a field a request or form does not accept: a misspelt
 * field is refused, naming the accepted ones, never silently ignored.
 */

import type { IFieldError } from '../../../protocol/index.js';

/** `Unknown field "X"; remove it or fix its spelling (accepted: ...).` */
export function unknownFieldMessage(name: string, accepted: readonly string[]): string {
  return `Unknown field "${name}"; remove it or fix its spelling (accepted: ${accepted.join(', ')}).`;
}

/** The field error of one unknown field at `prefix`/`name`. */
export function unknownField(name: string, accepted: readonly string[], prefix = ''): IFieldError {
  return { path: `${prefix}/${name}`, message: unknownFieldMessage(name, accepted) };
}

/** Fields of `body` not in `accepted`, each as a problem that names the accepted ones. */
export function unknownFields(body: Record<string, unknown>, accepted: readonly string[], prefix = ''): IFieldError[] {
  return Object.keys(body)
    .filter(key => !accepted.includes(key))
    .map(key => unknownField(key, accepted, prefix));
}
