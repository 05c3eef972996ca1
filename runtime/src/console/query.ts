/**
 * Query parameters of the console API, checked (pure). Each value is bounded; unknown filter
 * values are refused rather than silently matching nothing.
 */
import {
  AGENT_NAME,
  LANGUAGE_LABEL,
  LANGUAGE_LABEL_HINT,
  CONSOLE_FILTER_PARAMS,
  isPerformative,
  type ConsoleMessageFilter,
  type MessageEvent,
  type TailFilter,
  type Performative,
} from '@caxton/core';
import { ConsoleError } from './errors.js';

/** Longest accepted URL (path and query): more is refused before anything is parsed. */
export const MAX_URL_BYTES = 8192;
const MAX_VALUE = 512;

function value(params: URLSearchParams, name: string): string | undefined {
  const all = params.getAll(name);
  if (all.length > 1) throw new ConsoleError('console.bad-request', `${name} is given ${all.length} times`, `give ${name} once`);
  const v = all[0];
  if (v === undefined || v === '') return undefined;
  if (v.length > MAX_VALUE)
    throw new ConsoleError(
      'console.bad-request',
      `${name} is longer than ${MAX_VALUE} characters`,
      'filters are names and ids, not documents',
    );
  return v;
}

export function messageFilter(params: URLSearchParams): ConsoleMessageFilter {
  const out: ConsoleMessageFilter = {};
  for (const name of CONSOLE_FILTER_PARAMS) {
    const v = value(params, name);
    if (v !== undefined) out[name] = v;
  }
  if (out.performative) {
    for (const p of out.performative
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '')) {
      if (!isPerformative(p))
        throw new ConsoleError(
          'console.bad-request',
          `performative ${JSON.stringify(p.slice(0, 40))} is not a FIPA performative`,
          'e.g. cfp, propose, inform (comma-separated for several)',
        );
    }
  }
  return out;
}

/** `?conversation=` of a step view: required, one, bounded. */
export function conversationParam(params: URLSearchParams): string {
  const conversation = value(params, 'conversation');
  if (conversation === undefined)
    throw new ConsoleError('console.bad-request', 'a replay needs ?conversation=<id>', 'pick a conversation in the sniffer first');
  return conversation;
}

/** The part of a console filter the node's tail applies at the source. */
export function tailFilter(filter: ConsoleMessageFilter): TailFilter {
  const out: TailFilter = {};
  if (filter.agent) out.agent = filter.agent;
  if (filter.conversation) out.conversationId = filter.conversation;
  if (filter.performative)
    out.performatives = filter.performative
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '') as Performative[];
  return out;
}

/** The rest, applied to each event the tail passes (or each history entry). */
export function protocolMatches(filter: ConsoleMessageFilter, event: Pick<MessageEvent, 'message'>): boolean {
  return filter.protocol === undefined || event.message.protocol === filter.protocol;
}

export function limitParam(params: URLSearchParams, fallback: number, max: number): number {
  const v = value(params, 'limit');
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new ConsoleError(
      'console.bad-request',
      `limit ${JSON.stringify(v.slice(0, 20))} is not a whole number from 1 to ${max}`,
      `ask for at most ${max}`,
    );
  return n;
}

/** `?name=` of a deployment. */
export function deployName(params: URLSearchParams): string {
  const name = value(params, 'name');
  if (name === undefined || !AGENT_NAME.test(name))
    throw new ConsoleError(
      'console.bad-request',
      name === undefined ? 'name is missing' : `${JSON.stringify(name.slice(0, 80))} is not an agent name`,
      'give ?name=<agent>: letters, digits, . _ -, starting with a letter or digit',
    );
  return name;
}

/** `?language=` of an upload: the deployer's source language label; absent or empty: not stated. */
export function languageParam(params: URLSearchParams): { language?: string } {
  const language = value(params, 'language');
  if (language === undefined || language === '') return {};
  if (!LANGUAGE_LABEL.test(language))
    throw new ConsoleError('console.bad-request', `${JSON.stringify(language.slice(0, 40))} is not a language label`, LANGUAGE_LABEL_HINT);
  return { language };
}

/** Repeated `?config=k=v`; undefined when none is given. */
export function configParams(params: URLSearchParams): Record<string, string> | undefined {
  const entries = params.getAll('config');
  if (entries.length === 0) return undefined;
  if (entries.length > 256) throw new ConsoleError('console.bad-request', `${entries.length} config entries`, 'at most 256');
  const out: Record<string, string> = {};
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    if (eq <= 0 || entry.length > 4096)
      throw new ConsoleError(
        'console.bad-request',
        `config ${JSON.stringify(entry.slice(0, 40))} is not key=value`,
        'give ?config=key=value, once per key',
      );
    out[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return out;
}
