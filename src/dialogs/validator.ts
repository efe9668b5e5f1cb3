import type { ReadonlyJSONObject } from '@lumino/coreutils';
import type { UiSchema, ValidatorType } from '@rjsf/utils';
import { customizeValidator } from '@rjsf/validator-ajv8';

/**
 * The form data type `FormComponent` works with.
 */
export type FormData = ReadonlyJSONObject;

/**
 * The uiSchema type matching `FormData`.
 */
export type FormUiSchema = UiSchema<FormData>;

let shared: ValidatorType<FormData> | null = null;

/**
 * The JSON Schema validator of every form, created once (compiling Ajv is not free).
 */
export function formValidator(): ValidatorType<FormData> {
  if (!shared) {
    shared = customizeValidator<FormData>();
  }
  return shared;
}
