/**
 * The one definition of what a module API name, a field API name and a record id look like.
 * Everything the client sends in a path or a parameter is checked against these, so a value from a
 * message can never change which endpoint is called.
 */

/** Module API names: a letter, then letters, digits and underscores (custom modules included). */
const MODULE_NAME = /^[A-Za-z][A-Za-z0-9_]{0,99}$/;

/**
 * Field API names: letters, digits and underscores; `$` for Zoho's system fields (`$approved`) and
 * `.` for a lookup's field (`Owner.id` in criteria and COQL).
 */
const FIELD_NAME = /^[A-Za-z_$][A-Za-z0-9_$.]{0,99}$/;

/** Record ids (and other Zoho ids such as a custom view's): digits only. Zoho's have 18-19 digits. */
const RECORD_ID = /^[0-9]{1,25}$/;

/** Keys that reach JavaScript's prototype machinery: never names, refused rather than sent. */
export const FORBIDDEN_NAMES: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

export function isModuleName(value: unknown): boolean {
  return typeof value === "string" && MODULE_NAME.test(value);
}

export function isFieldName(value: unknown): boolean {
  return typeof value === "string" && FIELD_NAME.test(value) && !FORBIDDEN_NAMES.has(value);
}

export function isRecordId(value: unknown): boolean {
  return typeof value === "string" && RECORD_ID.test(value);
}
