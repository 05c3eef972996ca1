/**
 * Message priority (decision 1920): the user-defined parameter `X-caxton-priority` with one of
 * three values, `high`, `normal` (the default, also when the parameter is absent) or `low`. The
 * receiver's mailbox hands out higher priorities first and ages lower ones so they are never
 * starved (runtime/src/bus/mailbox.ts).
 *
 * Checked once, where a message enters (validateAclMessage): any other value, or the parameter
 * spelt in another letter case (names are case-insensitive on the FIPA wire, so `x-caxton-priority`
 * would otherwise be a priority nobody reads), is refused with a typed error. Past that boundary
 * the bus reads the parameter with `priorityRank`, which does no validation and allocates nothing.
 */
import { AclValidationError } from './errors.js';
import type { AclMessage } from './message.js';

export const PRIORITY_PARAM = 'X-caxton-priority';
const PRIORITY_PARAM_LOWER = PRIORITY_PARAM.toLowerCase();

/** The levels, highest first: their index is the rank the mailbox serves by. */
export const PRIORITIES = ['high', 'normal', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** 0 = high, 1 = normal, 2 = low. */
export type PriorityRank = 0 | 1 | 2;
export const NORMAL_RANK: PriorityRank = 1;

export function isPriority(value: unknown): value is Priority {
  return value === 'high' || value === 'normal' || value === 'low';
}

/** A priority as given by anyone (a CLI flag, an API field, a parameter value) → typed, or refused. */
export function parsePriority(value: unknown, field = `userParams.${PRIORITY_PARAM}`): Priority {
  if (isPriority(value)) return value;
  const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : typeof value;
  throw new AclValidationError(
    field,
    'priority.invalid',
    `${shown} is not a priority; it is one of ${PRIORITIES.join(', ')}`,
    `set ${PRIORITY_PARAM} to high, normal or low (lower case), or leave it out for normal`,
  );
}

/**
 * The boundary check of one user parameter (called by validateAclMessage for every key): the
 * priority parameter must be spelt exactly and carry a valid value.
 */
export function checkPriorityParam(key: string, value: unknown, field: string): void {
  if (key.length !== PRIORITY_PARAM.length) return;
  if (key === PRIORITY_PARAM) {
    parsePriority(value, `${field}.${PRIORITY_PARAM}`);
    return;
  }
  if (key.toLowerCase() === PRIORITY_PARAM_LOWER) {
    throw new AclValidationError(
      `${field}.${key}`,
      'priority.spelling',
      `the priority parameter is spelt ${PRIORITY_PARAM}`,
      `rename ${key} to ${PRIORITY_PARAM}; a differently spelt priority would be ignored`,
    );
  }
}

/**
 * The rank of a message that passed the boundary check (hot path: one property read when the
 * message has user parameters, none otherwise). Anything unreadable counts as normal — a message
 * replayed from a log written before priorities existed, say.
 */
export function priorityRank(message: AclMessage): PriorityRank {
  const p = message.userParams?.[PRIORITY_PARAM];
  if (p === undefined) return NORMAL_RANK;
  return p === 'high' ? 0 : p === 'low' ? 2 : NORMAL_RANK;
}

/** The priority a message carries (normal when it carries none). */
export function priorityOf(message: AclMessage): Priority {
  return PRIORITIES[priorityRank(message)];
}
