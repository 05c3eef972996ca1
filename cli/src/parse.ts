/**
 * Command-line values → typed values. Every flag a user types is checked here, with a message that
 * shows the accepted forms, before anything is sent to a runtime.
 */
import { AGENT_LIMIT_TABLE, isPerformative, PERFORMATIVES, WASM_PAGE_BYTES, type Performative } from '@caxton/core';
import { UsageError } from './cli-error.js';

export { WASM_PAGE_BYTES };
/** The memoryPages ceiling of the limits table (4 GiB of 64 KiB pages). */
export const MAX_MEMORY_PAGES: number = AGENT_LIMIT_TABLE.memoryPages.ceiling;

/** `--config a=1 --config b=x=y` → { a: '1', b: 'x=y' } (split at the first `=`). */
export function parseConfigPairs(pairs: readonly string[], flag = '--config'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`${flag} expects key=value, got "${pair}"`, `e.g. ${flag} greeting=hello`);
    const key = pair.slice(0, eq);
    if (key in out) throw new UsageError(`${flag} sets "${key}" twice`);
    out[key] = pair.slice(eq + 1);
  }
  return out;
}

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
};

/** A size in bytes: digits with an optional unit (`64MiB`, `2g`, `512k`; k/m/g are binary). */
export function parseBytes(text: string, flag: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const scale = m ? (m[2] === '' ? 1 : SIZE_UNITS[m[2]!.toLowerCase()]) : undefined;
  const value = m && scale !== undefined ? Math.floor(Number(m[1]) * scale) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < 1) throw new UsageError(`${flag} "${text}" is not a size`, `e.g. ${flag} 256MiB`);
  return value;
}

/**
 * `--memory`: a page count (`256`) or a size (`16MiB`, `512k`), rounded up to whole 64 KiB pages.
 */
export function parseMemory(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m?.[2]?.toLowerCase() ?? '';
  const scale = unit === '' || unit === 'pages' || unit === 'p' ? undefined : SIZE_UNITS[unit];
  if (!m || (unit !== '' && unit !== 'pages' && unit !== 'p' && scale === undefined)) {
    throw new UsageError(`--memory "${text}" is neither a page count nor a size`, 'e.g. --memory 256 (64 KiB pages) or --memory 16MiB');
  }
  const value = Number(m[1]);
  const pages = scale === undefined ? value : Math.ceil((value * scale) / WASM_PAGE_BYTES);
  if (!Number.isInteger(pages) || pages < 1 || pages > MAX_MEMORY_PAGES) {
    throw new UsageError(`--memory "${text}" is ${pages} pages; it must be 1-${MAX_MEMORY_PAGES} pages (64 KiB to 4 GiB)`);
  }
  return pages;
}

/** `--fuel`: an integer, optionally with `_`/`,` separators or a k/M/G suffix (`5M` = 5,000,000). */
export function parseFuel(text: string): number {
  return parseCount(text, '--fuel', 'e.g. --fuel 10000000 or --fuel 10M');
}

/** A count flag (`--fuel`, `--max-sends-per-s`…): digits with `_`/`,` separators or a k/M/G suffix. */
export function parseCount(text: string, flag: string, example = `e.g. ${flag} 1000 or ${flag} 5k`): number {
  const m = /^\s*(\d[\d_,]*(?:\.\d+)?)\s*([kmg]?)\s*$/i.exec(text);
  if (!m) throw new UsageError(`${flag} "${text}" is not a number`, example);
  const scale = { '': 1, k: 1e3, m: 1e6, g: 1e9 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  const value = Number(m[1]!.replace(/[_,]/g, '')) * scale;
  if (!Number.isSafeInteger(value) || value < 1) throw new UsageError(`${flag} "${text}" must be a whole number ≥ 1`, example);
  return value;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s`, `10m`, `1h30m`, `2d` → milliseconds; undefined if `text` is not a duration. */
export function parseDuration(text: string): number | undefined {
  const parts = [...text.trim().matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text.trim()) return undefined;
  return parts.reduce((sum, p) => sum + Number(p[1]) * DURATION_UNITS[p[2]!]!, 0);
}

function parseInstant(text: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** `--since`: a duration back from now (`10m`) or a date/time (`2026-11-21T10:00:00Z`). */
export function parseSince(text: string, now: number): number {
  const duration = parseDuration(text);
  if (duration !== undefined) return now - duration;
  const instant = parseInstant(text);
  if (instant !== undefined) return instant;
  throw new UsageError(`--since "${text}" is neither a duration nor a date`, 'e.g. --since 10m, --since 2h, --since 2026-11-21T10:00:00Z');
}

/** `--reply-by`: a duration from now (`30s`) or a date/time. */
export function parseReplyBy(text: string, now: number): number {
  const duration = parseDuration(text.replace(/^\+/, ''));
  if (duration !== undefined) return now + duration;
  const instant = parseInstant(text);
  if (instant !== undefined) return instant;
  throw new UsageError(`--reply-by "${text}" is neither a duration nor a date`, 'e.g. --reply-by 30s or --reply-by 2026-11-21T10:00:00Z');
}

export function parsePerformative(text: string): Performative {
  const p = text.toLowerCase();
  if (!isPerformative(p)) {
    throw new UsageError(`"${text}" is not a FIPA performative`, `use one of: ${PERFORMATIVES.join(', ')}`);
  }
  return p;
}

/** `--param X-trace=abc` → user parameters; keys must start with `X-` as FIPA requires. */
export function parseUserParams(pairs: readonly string[]): Record<string, string> {
  const params = parseConfigPairs(pairs, '--param');
  for (const key of Object.keys(params)) {
    if (!/^x-/i.test(key))
      throw new UsageError(`--param "${key}" must start with X-`, 'FIPA user-defined parameters are named X-something');
  }
  return params;
}

/** `--raw`: JSON when it looks like an object, the FIPA string encoding otherwise. */
export function parseRawMessage(text: string): { json: string } | { fipa: string } {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) return { json: trimmed };
  if (trimmed.startsWith('(')) return { fipa: trimmed };
  throw new UsageError(
    '--raw must be an ACL message as JSON ({…}) or in the FIPA string form ((inform …))',
    `e.g. --raw '(inform :receiver (set (agent-identifier :name echo)) :content "hi")'`,
  );
}

/** `host:port`, `[v6]:port` or `dns:`/`unix:` targets grpc-js understands (also a saved context's address). */
export function isApiAddress(text: string): boolean {
  if (/^(dns|unix|ipv4|ipv6):/.test(text)) return true;
  const m = /^(\[[0-9a-f:.]+\]|[^\s:/[\]]+):(\d{1,5})$/i.exec(text);
  return m !== null && Number(m[2]) <= 65535;
}

/** `--addr`, checked by isApiAddress. */
export function parseAddress(text: string): string {
  if (!isApiAddress(text)) throw new UsageError(`--addr "${text}" is not host:port`, 'e.g. --addr 127.0.0.1:50051');
  return text;
}
