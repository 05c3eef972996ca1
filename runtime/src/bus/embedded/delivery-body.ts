/**
 * The body of an Appended frame: one delivery (pure: values in, bytes out, no I/O). Decision 2092.
 *
 * Two layouts, told apart by the body's first byte:
 * - JSON (`{`, every body written before format version 4): the whole Delivery as JSON.
 * - Binary (BINARY_BODY_V1, 0x01, a byte no JSON text starts with): message id · receiver (strings) ·
 *   accepted-at (float64) · the ACL message as tagged fields (records/acl-binary.ts, the codec the
 *   Kafka records use). The delivery id is not repeated: the keyed payload carries it in front.
 *
 * Why: JSON.stringify of each delivery and the UTF-8 copy of its text were the largest part of the
 * log's own CPU on the bus thread (decision 2092's profile); the binary body is written by a plain
 * loop straight into a reused buffer, at ~40 % of JSON's bytes.
 *
 * No field may be lost: the binary layout is written only for a delivery whose every object is
 * exactly the typed shape (known keys, values of the right type, plain objects); anything else — an
 * extra property, a non-string where a string belongs, a hole in a list, a lone surrogate — is
 * written as JSON, as before. The key tables below are typed against core's `Delivery`, `AclMessage` and `AgentId`, so
 * a field added to those types does not compile here until the codec knows it.
 */
import type { AclMessage, AgentId, Delivery } from '@caxton/core';
import { parseJson } from '@caxton/core';
import { readAclFields, writeAclMessage } from '../records/acl-binary.js';
import { FieldReader, RecordFormatError, type FieldWriter } from '../records/binary-fields.js';

export const BINARY_BODY_V1 = 0x01;
const JSON_OPEN_BRACE = 0x7b;

/** Resolvers nest; the guard stops where the reader would (records/acl-binary.ts). */
const MAX_AGENT_DEPTH = 8;

type Kind = 'string' | 'number' | 'agent' | 'agents' | 'strings' | 'params' | 'message';

const DELIVERY_KEYS: { readonly [K in keyof Delivery]-?: Kind } = {
  id: 'string', messageId: 'string', receiver: 'string', message: 'message', acceptedAt: 'number',
};
const MESSAGE_KEYS: { readonly [K in keyof AclMessage]-?: Kind } = {
  performative: 'string', sender: 'agent', receivers: 'agents', replyTo: 'agents', content: 'string',
  language: 'string', encoding: 'string', ontology: 'string', protocol: 'string', conversationId: 'string',
  replyWith: 'string', inReplyTo: 'string', replyBy: 'number', userParams: 'params',
};
const AGENT_KEYS: { readonly [K in keyof AgentId]-?: Kind } = {
  name: 'string', addresses: 'strings', resolvers: 'agents', userParams: 'params',
};

/**
 * Write `delivery` in the binary layout at the writer's position and return true, or write
 * nothing and return false when it is not exactly the typed shape (the caller writes JSON then).
 */
export function writeBinaryBody(w: FieldWriter, delivery: Delivery): boolean {
  if (!isShaped(delivery, DELIVERY_KEYS, 0)) return false;
  w.byte(BINARY_BODY_V1);
  w.string(delivery.messageId);
  w.string(delivery.receiver);
  w.float64(delivery.acceptedAt);
  writeAclMessage(w, delivery.message);
  return true;
}

/**
 * The delivery whose body is `buf[bodyStart, bodyEnd)` and whose id the keyed payload carries.
 * Throws (SyntaxError, RecordFormatError, TypeError) on a body no writer writes.
 */
export function readDeliveryBody(buf: Buffer, bodyStart: number, bodyEnd: number, id: string): Delivery {
  if (bodyEnd <= bodyStart) throw new RecordFormatError('empty delivery body');
  const first = buf[bodyStart];
  if (first === JSON_OPEN_BRACE) {
    const delivery = parseJson(buf.toString('utf8', bodyStart, bodyEnd)) as Delivery;
    if (delivery === null || typeof delivery !== 'object' || delivery.id !== id) throw new TypeError('delivery body does not match its id');
    return delivery;
  }
  if (first !== BINARY_BODY_V1) throw new RecordFormatError(`unknown delivery body layout ${first}`);
  const r = new FieldReader(buf.subarray(bodyStart + 1, bodyEnd));
  const messageId = r.string();
  const receiver = r.string();
  const acceptedAt = r.float64();
  const message = readAclFields(r);
  if (!r.done) throw new RecordFormatError('bytes after the end of the delivery body');
  return { id, messageId, receiver, message, acceptedAt };
}

/** The fields of an object: a plain object whose every own enumerable key is known and well typed. */
function isShaped(value: unknown, keys: { readonly [key: string]: Kind }, depth: number): boolean {
  if (!isPlainObject(value)) return false;
  for (const key in value) {
    const field = (value as Record<string, unknown>)[key];
    // JSON leaves out an undefined property; so does the binary writer.
    if (field === undefined) continue;
    if (!Object.hasOwn(keys, key) || !fits(field, keys[key]!, depth)) return false;
  }
  return true;
}

function fits(value: unknown, kind: Kind, depth: number): boolean {
  switch (kind) {
    case 'string': return isUtf8Safe(value);
    case 'number': return typeof value === 'number';
    case 'message': return isShaped(value, MESSAGE_KEYS, depth) && typeof (value as AclMessage).performative === 'string' && (value as AclMessage).receivers !== undefined;
    case 'agent': return isAgent(value, depth);
    case 'agents': {
      if (!Array.isArray(value) || depth >= MAX_AGENT_DEPTH) return false;
      for (let i = 0; i < value.length; i++) if (!isAgent(value[i], depth + 1)) return false;
      return true;
    }
    case 'strings': {
      if (!Array.isArray(value)) return false;
      for (let i = 0; i < value.length; i++) if (!isUtf8Safe(value[i])) return false;
      return true;
    }
    case 'params': {
      if (!isPlainObject(value)) return false;
      for (const key in value) if (!isUtf8Safe(key) || !isUtf8Safe((value as Record<string, unknown>)[key])) return false;
      return true;
    }
  }
}

function isAgent(value: unknown, depth: number): boolean {
  return isShaped(value, AGENT_KEYS, depth) && typeof (value as AgentId).name === 'string';
}

/**
 * A string UTF-8 carries exactly. A lone surrogate would come back as U+FFFD (JSON escapes it and
 * keeps it), so such a string goes as JSON. V8 answers at once for one-byte strings.
 */
function isUtf8Safe(value: unknown): value is string {
  return typeof value === 'string' && (value as string & { isWellFormed(): boolean }).isWellFormed();
}

/** An object literal (or null-prototype object): no inherited properties, no toJSON of a class. */
function isPlainObject(value: unknown): value is object {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
