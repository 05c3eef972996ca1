/**
 * Helpers for turning untyped values (a guest's record, a parsed JSON document) into model values.
 * They check JavaScript types and bound collection sizes *before* copying or recursing, so a hostile
 * value can neither make us allocate without bound nor overflow the stack. Semantic rules (what a
 * good agent name is…) live in validate.ts; this file only answers "is it the right kind of thing".
 */
import { AclValidationError } from './errors.js';
import { excerpt } from './excerpt.js';
import { hasUserParamPrefix, isUserParamKey } from './lexical.js';
import { isPerformative, type Performative } from './message.js';

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

export function wrongType(field: string, expected: string, value: unknown): AclValidationError {
  return new AclValidationError(field, 'wrong-type', `expected ${expected}, got ${describeType(value)}`);
}

export function unknownField(field: string, hint: string): AclValidationError {
  return new AclValidationError(field, 'unknown-field', 'is not a parameter of an ACL message', hint);
}

export function readString(value: unknown, field: string): string {
  if (typeof value !== 'string') throw wrongType(field, 'a string', value);
  return value;
}

export function readObject(value: unknown, field: string): Record<string, unknown> {
  if (!isPlainObject(value)) throw wrongType(field, 'an object', value);
  return value;
}

/** Checks the type and the length bound; the elements are for the caller to read. */
export function readArray(value: unknown, field: string, max: number, rule: string): unknown[] {
  if (!Array.isArray(value)) throw wrongType(field, 'an array', value);
  if (value.length > max) {
    throw new AclValidationError(
      field,
      rule,
      `has ${value.length} entries, the limit is ${max}`,
      'split the message or raise the limit in the ACL limits configuration',
    );
  }
  return value;
}

export function readStringArray(value: unknown, field: string, max: number, rule: string): string[] {
  const arr = readArray(value, field, max, rule);
  const out = new Array<string>(arr.length);
  for (let i = 0; i < arr.length; i++) out[i] = readString(arr[i], `${field}[${i}]`);
  return out;
}

export function readPerformative(value: unknown, field = 'performative'): Performative {
  if (value === undefined) {
    throw new AclValidationError(
      field,
      'performative.missing',
      'every ACL message needs a performative',
      'set performative to one of the 22 FIPA communicative acts, e.g. "inform"',
    );
  }
  if (typeof value !== 'string') throw wrongType(field, 'a string', value);
  if (!isPerformative(value)) {
    const lower = value.toLowerCase();
    throw new AclValidationError(
      field,
      'performative.unknown',
      `"${excerpt(value)}" is not a FIPA communicative act`,
      isPerformative(lower)
        ? `performatives are lower case in this representation: use "${lower}"`
        : 'use one of the 22 acts of SC00037 (inform, request, agree, cfp, …)',
    );
  }
  return value;
}

/**
 * A user-defined parameter key must be `X-…` (SC00061). Checked while copying too, so that a key
 * such as `__proto__` is rejected instead of being swallowed by the object it is assigned to.
 */
export function checkUserParamKey(key: string, field: string): void {
  if (isUserParamKey(key)) return;
  if (!hasUserParamPrefix(key)) {
    throw new AclValidationError(
      `${field}.${excerpt(key)}`,
      'user-param.key-prefix',
      'user-defined parameter names must start with "X-"',
      `rename it to "X-${excerpt(key)}"`,
    );
  }
  throw new AclValidationError(
    `${field}.${excerpt(key)}`,
    'user-param.key-invalid',
    'a user-defined parameter name needs at least one character after "X-" and no whitespace, control characters or parentheses',
  );
}

/** Copies `X-` string entries into a fresh object, bounding the count before anything else. */
export function readUserParams(value: unknown, field: string, max: number): Record<string, string> {
  const obj = readObject(value, field);
  const keys = Object.keys(obj);
  if (keys.length > max) throw tooManyUserParams(field, keys.length, max);
  const out: Record<string, string> = {};
  for (const key of keys) {
    checkUserParamKey(key, field);
    out[key] = readString(obj[key], `${field}.${excerpt(key)}`);
  }
  return out;
}

export function tooManyUserParams(field: string, count: number, max: number): AclValidationError {
  return new AclValidationError(
    field,
    'user-params.too-many',
    `has ${count} entries, the limit is ${max}`,
    'send fewer X- parameters or raise maxUserParams',
  );
}
