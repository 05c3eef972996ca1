/**
 * FIPA DateTime tokens (SC00070) <-> milliseconds since the Unix epoch.
 *
 *   DateTime = Sign? Year Month Day "T" Hour Minute Second MilliSecond TypeDesignator?
 *   e.g. 20231114T221320000Z
 *
 * Decisions (see docs/acl.md):
 * - Type designator `Z` means UTC. It is the only designator given a meaning; SC00070 leaves other
 *   letters undefined, so they are rejected rather than guessed.
 * - No designator means "local time" in the spec. Whose local time is unknowable on a server, so it
 *   is read as UTC unless the caller passes `localTimeOffsetMinutes` (e.g. for a known peer).
 * - A sign makes the token relative to "now" (JADE: `+00000000T010000000` is one hour from now),
 *   counting a year as 365 days and a month as 30 days, as JADE does.
 * - We always write absolute UTC with `Z`, which is what JADE 4 writes.
 * Arithmetic is done on civil days, not with `Date`, so years 0000–0099 are not shifted to 19xx.
 */

import { AclValidationError } from './errors.js';
import { excerpt } from './excerpt.js';

const MS_PER_DAY = 86_400_000;

/** 0000-01-01T00:00:00.000Z, the earliest instant a 4-digit year can express. */
export const MIN_FIPA_EPOCH_MS = daysFromCivil(0, 1, 1) * MS_PER_DAY;
/** 9999-12-31T23:59:59.999Z, the latest instant a 4-digit year can express. */
export const MAX_FIPA_EPOCH_MS = daysFromCivil(9999, 12, 31) * MS_PER_DAY + MS_PER_DAY - 1;

export interface FipaDateTimeOptions {
  /** Minutes east of UTC applied to tokens without a type designator. Default 0 (read as UTC). */
  localTimeOffsetMinutes?: number;
  /** The instant relative tokens (`+…`, `-…`) count from. Default: `Date.now()` when needed. */
  now?: number;
}

export type FipaDateTimeResult = { ok: true; epochMs: number } | { ok: false; problem: string };

// Compiled once. Fixed-width groups: no backtracking beyond a constant amount.
const DATETIME = /^([+-])?(\d{4})(\d{2})(\d{2})[Tt](\d{2})(\d{2})(\d{2})(\d{3})([A-Za-z])?$/;

/** Lexical test only (shape of the token), used by the string lexer to classify atoms. */
export function looksLikeFipaDateTime(text: string): boolean {
  return DATETIME.test(text);
}

/** Parse without throwing; the caller decides which error (with which position) to raise. */
export function tryParseFipaDateTime(text: string, opts: FipaDateTimeOptions = {}): FipaDateTimeResult {
  const m = DATETIME.exec(text);
  if (m === null) {
    return { ok: false, problem: `"${excerpt(text)}" is not a FIPA DateTime (expected YYYYMMDDTHHMMSSmmm with optional Z)` };
  }
  const [, sign, ys, mos, ds, hs, mis, ss, mss, designator] = m as unknown as string[];
  if (designator !== undefined && designator !== 'Z' && designator !== 'z') {
    return { ok: false, problem: `type designator "${designator}" has no defined meaning; only Z (UTC) is supported` };
  }
  const year = Number(ys);
  const month = Number(mos);
  const day = Number(ds);
  const hour = Number(hs);
  const minute = Number(mis);
  const second = Number(ss);
  const milli = Number(mss);

  if (sign !== undefined) {
    // Relative time: the fields are a duration, so calendar ranges do not apply.
    const duration = ((((year * 365 + month * 30 + day) * 24 + hour) * 60 + minute) * 60 + second) * 1000 + milli;
    const now = opts.now ?? Date.now();
    return { ok: true, epochMs: sign === '-' ? now - duration : now + duration };
  }

  if (month < 1 || month > 12) return { ok: false, problem: `month ${mos} is out of range 01–12` };
  if (day < 1 || day > daysInMonth(year, month)) return { ok: false, problem: `day ${ds} does not exist in ${ys}-${mos}` };
  if (hour > 23) return { ok: false, problem: `hour ${hs} is out of range 00–23` };
  if (minute > 59) return { ok: false, problem: `minute ${mis} is out of range 00–59` };
  if (second > 59) return { ok: false, problem: `second ${ss} is out of range 00–59` };

  let epochMs = daysFromCivil(year, month, day) * MS_PER_DAY + ((hour * 60 + minute) * 60 + second) * 1000 + milli;
  if (designator === undefined) epochMs -= (opts.localTimeOffsetMinutes ?? 0) * 60_000;
  return { ok: true, epochMs };
}

/** Parse a DateTime token, throwing `AclValidationError` (field `replyBy`, rule `reply-by.invalid`). */
export function parseFipaDateTime(text: string, opts: FipaDateTimeOptions = {}): number {
  const r = tryParseFipaDateTime(text, opts);
  if (!r.ok) {
    throw new AclValidationError(
      'replyBy',
      'reply-by.invalid',
      r.problem,
      'write reply-by as YYYYMMDDTHHMMSSmmmZ (UTC), e.g. 20231114T221320000Z',
    );
  }
  return r.epochMs;
}

/** `formatFipaDateTime` for encoders: a value that cannot be written is a validation error. */
export function formatReplyBy(epochMs: number): string {
  // Same range as validateAclMessage (reply-by is a u64 for guests): never write what we refuse to read.
  if (Number.isSafeInteger(epochMs) && epochMs >= 0 && epochMs <= MAX_FIPA_EPOCH_MS) return formatFipaDateTime(epochMs);
  throw new AclValidationError(
    'replyBy',
    'reply-by.out-of-range',
    `${String(epochMs)} cannot be written as a reply-by`,
    'reply-by is whole milliseconds since the Unix epoch (UTC), between 1970 and 9999',
  );
}

/** Epoch ms -> `YYYYMMDDTHHMMSSmmmZ`. Throws RangeError outside years 0000–9999 or for non-integers. */
export function formatFipaDateTime(epochMs: number): string {
  if (!Number.isSafeInteger(epochMs) || epochMs < MIN_FIPA_EPOCH_MS || epochMs > MAX_FIPA_EPOCH_MS) {
    throw new RangeError(`${String(epochMs)} is not an integer instant within years 0000–9999`);
  }
  const days = Math.floor(epochMs / MS_PER_DAY);
  let rest = epochMs - days * MS_PER_DAY;
  const { year, month, day } = civilFromDays(days);
  const milli = rest % 1000;
  rest = (rest - milli) / 1000;
  const second = rest % 60;
  rest = (rest - second) / 60;
  const minute = rest % 60;
  const hour = (rest - minute) / 60;
  return `${pad(year, 4) + pad(month, 2) + pad(day, 2)}T${pad(hour, 2)}${pad(minute, 2)}${pad(second, 2)}${pad(milli, 3)}Z`;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}
