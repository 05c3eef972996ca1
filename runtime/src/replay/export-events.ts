/**
 * The check of one recorded event read from an export file (issue 57): an export is outside input,
 * so each event's shape — its kind, its required fields and their types — is checked where it is
 * read, and a malformed one is refused there with where in it the fault is, never met as a crash
 * deep in the replayer or the sandbox. The writer runs the same check, so it never writes an event
 * a reader would refuse.
 *
 * The export's own envelope (an event, its work, a state write) has exactly the fields recorded.ts
 * gives it. A delivery, its message and the agent identifiers in it are the log's content, whose
 * codec keeps every field it is handed (log/embedded/delivery-body.ts): their known fields are
 * checked, other fields are kept as they are.
 */
import { isPerformative, type AclMessage, type Delivery, type StateWrite } from '@caxton/core';
import type { RecordedEvent, RecordedWork } from './recorded.js';

/** How deep agent identifiers may nest through `resolvers`: a bound against a hostile file's recursion, far above any real message. */
const MAX_AGENT_DEPTH = 32;

const STRING_FIELDS = ['content', 'language', 'encoding', 'ontology', 'protocol', 'conversationId', 'replyWith', 'inReplyTo'] as const;

/** Where a value read breaks the shape, and how. */
export class ShapeProblem extends Error {}

export function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * The event `value` (parsed from an `e` line) holds, or a ShapeProblem naming the first field that
 * is wrong. The value's objects are used as they are (no copy), except a timer's work, which gets
 * its `dueAt` and `token` back as undefined when the line leaves them out (JSON has no undefined).
 */
export function recordedEventOf(value: unknown): RecordedEvent {
  const event = checkRecordedEvent(value);
  if (event.kind !== 'handled' || event.work.kind !== 'timer' || ('dueAt' in event.work && 'token' in event.work)) return event;
  const { timerId, token, dueAt } = event.work;
  return { ...event, work: { kind: 'timer', timerId, token, dueAt } };
}

/** Throws a ShapeProblem naming the first field of `value` that is not a recorded event's; changes nothing. */
export function checkRecordedEvent(value: unknown): RecordedEvent {
  const e = record(value, 'the event');
  switch (e['kind']) {
    case 'state':
      onlyFields(e, 'the state event', ['kind', 'reset', 'writes', 'position', 'completes']);
      if (typeof e['reset'] !== 'boolean') throw new ShapeProblem('the state event has no boolean reset');
      writes(e['writes'], 'the state event writes');
      position(e);
      if (e['completes'] !== undefined) string(e['completes'], 'the state event completes');
      return e as unknown as RecordedEvent;
    case 'handled': {
      onlyFields(e, 'the handling', ['kind', 'work', 'state', 'sends', 'sendIndexes', 'position', 'clockAt']);
      const clockAt = e['clockAt'];
      if (clockAt !== undefined && (typeof clockAt !== 'number' || !Number.isSafeInteger(clockAt) || clockAt < 0))
        throw new ShapeProblem('the handling clockAt is not a time');
      work(e['work']);
      writes(e['state'], 'the handling state');
      const sends = list(e['sends'], 'the handling sends');
      sends.forEach((m, i) => message(m, `the handling sends[${i}]`));
      const indexes = list(e['sendIndexes'], 'the handling sendIndexes');
      if (indexes.length !== sends.length) throw new ShapeProblem('the handling has not one send index per send');
      let last = -1;
      for (const i of indexes) {
        if (typeof i !== 'number' || !Number.isSafeInteger(i) || i <= last)
          throw new ShapeProblem('the handling sendIndexes are not increasing whole numbers from 0');
        last = i;
      }
      position(e);
      return e as unknown as RecordedEvent;
    }
    case 'dead-lettered':
      onlyFields(e, 'the dead letter', ['kind', 'delivery', 'position']);
      delivery(e['delivery'], 'the dead letter delivery');
      position(e);
      return e as unknown as RecordedEvent;
    default:
      throw new ShapeProblem(`the event kind ${JSON.stringify(e['kind'])?.slice(0, 40)} is not state, handled or dead-lettered`);
  }
}

function work(value: unknown): RecordedWork {
  const w = record(value, 'the handling work');
  if (w['kind'] === 'message') {
    onlyFields(w, 'the handling work', ['kind', 'delivery']);
    delivery(w['delivery'], 'the handling delivery');
    return w as unknown as RecordedWork;
  }
  if (w['kind'] === 'timer') {
    onlyFields(w, 'the timer work', ['kind', 'timerId', 'token', 'dueAt']);
    const dueAt = w['dueAt'];
    if (dueAt !== undefined && (typeof dueAt !== 'number' || !Number.isFinite(dueAt)))
      throw new ShapeProblem('the timer work dueAt is not a time');
    string(w['timerId'], 'the timer work timerId');
    if (w['token'] !== undefined) string(w['token'], 'the timer work token');
    return w as unknown as RecordedWork;
  }
  throw new ShapeProblem('the handling work is neither a message nor a timer');
}

function delivery(value: unknown, where: string): Delivery {
  const d = record(value, where);
  for (const field of ['id', 'messageId', 'receiver'] as const) string(d[field], `${where} ${field}`);
  if (typeof d['acceptedAt'] !== 'number' || !Number.isFinite(d['acceptedAt'])) throw new ShapeProblem(`${where} acceptedAt is not a time`);
  message(d['message'], `${where} message`);
  return d as unknown as Delivery;
}

function message(value: unknown, where: string): AclMessage {
  const m = record(value, where);
  const p = m['performative'];
  if (typeof p !== 'string' || !isPerformative(p)) throw new ShapeProblem(`${where} performative is not a FIPA performative`);
  if (m['sender'] !== undefined) agentId(m['sender'], `${where} sender`, 0);
  agentIds(m['receivers'], `${where} receivers`, 0);
  if (m['replyTo'] !== undefined) agentIds(m['replyTo'], `${where} replyTo`, 0);
  for (const field of STRING_FIELDS) if (m[field] !== undefined) string(m[field], `${where} ${field}`);
  if (m['replyBy'] !== undefined && (typeof m['replyBy'] !== 'number' || !Number.isFinite(m['replyBy'])))
    throw new ShapeProblem(`${where} replyBy is not a time`);
  if (m['userParams'] !== undefined) stringMap(m['userParams'], `${where} userParams`);
  return m as unknown as AclMessage;
}

function agentIds(value: unknown, where: string, depth: number): void {
  list(value, where).forEach((a, i) => agentId(a, `${where}[${i}]`, depth));
}

function agentId(value: unknown, where: string, depth: number): void {
  const a = record(value, where);
  string(a['name'], `${where} name`);
  if (a['addresses'] !== undefined) list(a['addresses'], `${where} addresses`).forEach((s, i) => string(s, `${where} addresses[${i}]`));
  if (a['resolvers'] !== undefined) {
    if (depth >= MAX_AGENT_DEPTH) throw new ShapeProblem(`${where} resolvers nest deeper than ${MAX_AGENT_DEPTH}`);
    agentIds(a['resolvers'], `${where} resolvers`, depth + 1);
  }
  if (a['userParams'] !== undefined) stringMap(a['userParams'], `${where} userParams`);
}

function writes(value: unknown, where: string): StateWrite[] {
  const ws = list(value, where);
  ws.forEach((v, i) => {
    const w = record(v, `${where}[${i}]`);
    onlyFields(w, `${where}[${i}]`, ['key', 'value']);
    string(w['key'], `${where}[${i}] key`);
    if (w['value'] !== null) string(w['value'], `${where}[${i}] value`);
  });
  return ws as StateWrite[];
}

function position(e: Record<string, unknown>): void {
  string(e['position'], 'the event position');
}

function record(value: unknown, where: string): Record<string, unknown> {
  if (!isPlainRecord(value)) throw new ShapeProblem(`${where} is not an object`);
  return value;
}

function list(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) throw new ShapeProblem(`${where} is not a list`);
  return value;
}

function string(value: unknown, where: string): string {
  if (typeof value !== 'string') throw new ShapeProblem(`${where} is not a string`);
  return value;
}

function stringMap(value: unknown, where: string): void {
  const o = record(value, where);
  for (const [k, v] of Object.entries(o))
    if (typeof v !== 'string') throw new ShapeProblem(`${where} ${JSON.stringify(k.slice(0, 40))} is not a string`);
}

function onlyFields(o: Record<string, unknown>, where: string, known: readonly string[]): void {
  for (const key of Object.keys(o))
    if (!known.includes(key)) throw new ShapeProblem(`${where} has a field ${JSON.stringify(key.slice(0, 40))} no writer writes`);
}
