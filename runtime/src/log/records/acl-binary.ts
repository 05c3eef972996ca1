/**
 * An ACL message as tagged binary fields, for the compact Kafka record (kafka/codec.ts) and the
 * embedded log's binary delivery body (embedded/delivery-body.ts).
 *
 *   performative (string) · then any number of (tag byte, value) · END (0)
 *
 * Tags say which FIPA parameter follows, so a field can be added later without a new record
 * version; a reader refuses a tag it does not know (it cannot tell how long its value is). Agent
 * identifiers are name · addresses · resolvers · user parameters, each list count-prefixed.
 * Decoding ends with core's validateAclMessage, exactly as the JSON codec does: a record in Kafka
 * is checked like any other message crossing into a node.
 */
import { validateAclMessage, type AclMessage, type AgentId } from '@caxton/core';
import { type FieldReader, type FieldWriter, RecordFormatError } from './binary-fields.js';

enum Tag {
  End = 0,
  Sender = 1,
  Receivers = 2,
  ReplyTo = 3,
  Content = 4,
  Language = 5,
  Encoding = 6,
  Ontology = 7,
  Protocol = 8,
  ConversationId = 9,
  ReplyWith = 10,
  InReplyTo = 11,
  ReplyBy = 12,
  UserParams = 13,
}

/**
 * Optional string parameters, in tag order. The one list of them: the embedded log's shape guard
 * (embedded/delivery-body.ts) checks exactly these names, so a string field the writer learns is
 * also one the guard counts, never one a binary body drops.
 */
const STRING_FIELDS = [
  [Tag.Content, 'content'],
  [Tag.Language, 'language'],
  [Tag.Encoding, 'encoding'],
  [Tag.Ontology, 'ontology'],
  [Tag.Protocol, 'protocol'],
  [Tag.ConversationId, 'conversationId'],
  [Tag.ReplyWith, 'replyWith'],
  [Tag.InReplyTo, 'inReplyTo'],
] as const;

/** The names of the optional string parameters the writer writes (STRING_FIELDS, in tag order). */
export const STRING_FIELD_NAMES: readonly StringFieldName[] = STRING_FIELDS.map(([, name]) => name);
export type StringFieldName = (typeof STRING_FIELDS)[number][1];

/** The message fields that are not string parameters, each with its own tag (or the leading performative). */
const OTHER_FIELD_NAMES = ['performative', 'sender', 'receivers', 'replyTo', 'replyBy', 'userParams'] as const;

/** Every AclMessage field the writer writes, for the guard's compile-time check and its tests. */
export const ACL_FIELD_NAMES: readonly AclFieldName[] = [...OTHER_FIELD_NAMES, ...STRING_FIELD_NAMES];
export type AclFieldName = (typeof OTHER_FIELD_NAMES)[number] | StringFieldName;

/**
 * Resolvers nest; a hostile record must not recurse without bound before validation sees it. The
 * embedded log's binary-body guard (embedded/delivery-body.ts) stops at the same depth.
 */
export const MAX_AGENT_DEPTH = 8;

// Optional lists and maps are written as count + 1, with 0 for "absent", so that an empty list
// and a missing one both survive the round trip exactly.
function writeParams(w: FieldWriter, params: Record<string, string> | undefined): void {
  if (params === undefined) return w.varint(0);
  const keys = Object.keys(params);
  w.varint(keys.length + 1);
  for (const k of keys) {
    w.string(k);
    w.string(params[k]!);
  }
}

function writeAgent(w: FieldWriter, a: AgentId): void {
  w.string(a.name);
  if (a.addresses === undefined) w.varint(0);
  else {
    w.varint(a.addresses.length + 1);
    for (const s of a.addresses) w.string(s);
  }
  if (a.resolvers === undefined) w.varint(0);
  else writeAgents(w, a.resolvers, 1);
  writeParams(w, a.userParams);
}

function writeAgents(w: FieldWriter, list: readonly AgentId[], bias = 0): void {
  w.varint(list.length + bias);
  for (const a of list) writeAgent(w, a);
}

export function writeAclMessage(w: FieldWriter, m: AclMessage): void {
  w.string(m.performative);
  if (m.sender !== undefined) {
    w.byte(Tag.Sender);
    writeAgent(w, m.sender);
  }
  w.byte(Tag.Receivers);
  writeAgents(w, m.receivers);
  if (m.replyTo !== undefined) {
    w.byte(Tag.ReplyTo);
    writeAgents(w, m.replyTo);
  }
  for (const [tag, field] of STRING_FIELDS) {
    const v = m[field];
    if (v === undefined) continue;
    w.byte(tag);
    w.string(v);
  }
  if (m.replyBy !== undefined) {
    w.byte(Tag.ReplyBy);
    w.float64(m.replyBy);
  }
  if (m.userParams !== undefined) {
    w.byte(Tag.UserParams);
    writeParams(w, m.userParams);
  }
  w.byte(Tag.End);
}

function readParams(r: FieldReader): Record<string, string> | undefined {
  const n = r.varint();
  if (n === 0) return undefined;
  const out: Record<string, string> = {};
  for (let i = 1; i < n; i++) {
    const k = r.string();
    const v = r.string();
    // Kept as data, never as the prototype: validation then judges the key like any other.
    if (k === '__proto__') Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    else out[k] = v;
  }
  return out;
}

function readAgent(r: FieldReader, depth: number): AgentId {
  if (depth > MAX_AGENT_DEPTH) throw new RecordFormatError(`agent resolvers nest deeper than ${MAX_AGENT_DEPTH}`);
  const a: AgentId = { name: r.string() };
  const nAddresses = r.varint();
  if (nAddresses > 0) {
    a.addresses = [];
    for (let i = 1; i < nAddresses; i++) a.addresses.push(r.string());
  }
  const nResolvers = r.varint();
  if (nResolvers > 0) a.resolvers = readAgentList(r, nResolvers - 1, depth + 1);
  const params = readParams(r);
  if (params !== undefined) a.userParams = params;
  return a;
}

function readAgentList(r: FieldReader, n: number, depth: number): AgentId[] {
  const out: AgentId[] = [];
  for (let i = 0; i < n; i++) out.push(readAgent(r, depth));
  return out;
}

function readAgents(r: FieldReader, depth: number): AgentId[] {
  return readAgentList(r, r.varint(), depth);
}

export function readAclMessage(r: FieldReader): AclMessage {
  // The performative is checked by validateAclMessage, like every other field.
  const m = readAclFields(r);
  validateAclMessage(m);
  return m;
}

/**
 * The fields as written, not validated: for a reader of the node's own checksummed log, which
 * gives back exactly what was appended (as its JSON records always did), never judges it again.
 */
export function readAclFields(r: FieldReader): AclMessage {
  const m = { performative: r.string(), receivers: [] } as unknown as AclMessage;
  for (let tag = r.byte(); tag !== Tag.End; tag = r.byte()) {
    switch (tag) {
      case Tag.Sender:
        m.sender = readAgent(r, 0);
        break;
      case Tag.Receivers:
        m.receivers = readAgents(r, 0);
        break;
      case Tag.ReplyTo:
        m.replyTo = readAgents(r, 0);
        break;
      case Tag.ReplyBy:
        m.replyBy = r.float64();
        break;
      case Tag.UserParams: {
        const p = readParams(r);
        if (p !== undefined) m.userParams = p;
        break;
      }
      default: {
        const field = STRING_FIELDS.find(([t]) => t === tag)?.[1];
        if (field === undefined) throw new RecordFormatError(`unknown ACL field tag ${tag}`);
        m[field] = r.string();
      }
    }
  }
  return m;
}
