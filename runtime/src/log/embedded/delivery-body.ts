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
import { MAX_AGENT_DEPTH, STRING_FIELD_NAMES, readAclFields, writeAclMessage, type AclFieldName } from '../records/acl-binary.js';
import { FieldReader, RecordFormatError, type FieldWriter } from '../records/binary-fields.js';

export const BINARY_BODY_V1 = 0x01;
const JSON_OPEN_BRACE = 0x7b;

// The shape guard below checks these fields by name; these assertions fail to compile when core's
// Delivery, AclMessage or AgentId gains (or loses) a field, until the guard and the writer know it.
// The message's field names are the writer's (records/acl-binary.ts ACL_FIELD_NAMES), so the
// guard cannot count a string field the writer leaves out.
type Exactly<T, K extends PropertyKey> = [Exclude<keyof T, K>, Exclude<K, keyof T>] extends [never, never] ? true : never;
const deliveryFieldsKnown: Exactly<Delivery, 'id' | 'messageId' | 'receiver' | 'message' | 'acceptedAt'> = true;
const messageFieldsKnown: Exactly<AclMessage, AclFieldName> = true;
const agentFieldsKnown: Exactly<AgentId, 'name' | 'addresses' | 'resolvers' | 'userParams'> = true;
void [deliveryFieldsKnown, messageFieldsKnown, agentFieldsKnown];

/** The optional string parameters of a message: the writer's own list (one definition). */
const STRING_PARAMS = STRING_FIELD_NAMES;

/**
 * Write `delivery` in the binary layout at the writer's position and return true, or write
 * nothing and return false when it is not exactly the typed shape (the caller writes JSON then).
 */
export function writeBinaryBody(w: FieldWriter, delivery: Delivery): boolean {
  if (!isShapedDelivery(delivery)) return false;
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

/*
 * The guard: each known field is read by name (fast, monomorphic loads) and checked, counting those
 * present; then a `for … in` counts the object's defined keys. The counts differ exactly when the
 * object has a key the binary layout does not know: it goes as JSON then, whole.
 */

function isShapedDelivery(d: Delivery): boolean {
  return (
    isPlainObject(d) &&
    isUtf8Safe(d.id) &&
    isUtf8Safe(d.messageId) &&
    isUtf8Safe(d.receiver) &&
    typeof d.acceptedAt === 'number' &&
    isShapedMessage(d.message) &&
    definedKeys(d) === 5
  );
}

function isShapedMessage(m: AclMessage): boolean {
  if (!isPlainObject(m) || !isUtf8Safe(m.performative) || !isAgentList(m.receivers, 0)) return false;
  let known = 2;
  if (m.sender !== undefined) {
    if (!isAgent(m.sender, 0)) return false;
    known++;
  }
  if (m.replyTo !== undefined) {
    if (!isAgentList(m.replyTo, 0)) return false;
    known++;
  }
  for (let i = 0; i < STRING_PARAMS.length; i++) {
    const value = m[STRING_PARAMS[i]!];
    if (value === undefined) continue;
    if (!isUtf8Safe(value)) return false;
    known++;
  }
  if (m.replyBy !== undefined) {
    if (typeof m.replyBy !== 'number') return false;
    known++;
  }
  if (m.userParams !== undefined) {
    if (!isParams(m.userParams)) return false;
    known++;
  }
  return definedKeys(m) === known;
}

function isAgent(a: AgentId, depth: number): boolean {
  if (!isPlainObject(a) || !isUtf8Safe(a.name)) return false;
  let known = 1;
  if (a.addresses !== undefined) {
    const list: unknown = a.addresses;
    if (!Array.isArray(list)) return false;
    for (let i = 0; i < list.length; i++) if (!isUtf8Safe(list[i])) return false;
    known++;
  }
  if (a.resolvers !== undefined) {
    if (!isAgentList(a.resolvers, depth + 1)) return false;
    known++;
  }
  if (a.userParams !== undefined) {
    if (!isParams(a.userParams)) return false;
    known++;
  }
  return definedKeys(a) === known;
}

/** A list of agent ids at `depth` (resolvers nest; deeper than the reader takes goes as JSON). */
function isAgentList(list: unknown, depth: number): boolean {
  if (!Array.isArray(list) || depth > MAX_AGENT_DEPTH - 1) return false;
  for (let i = 0; i < list.length; i++) if (!isAgent(list[i] as AgentId, depth)) return false;
  return true;
}

function isParams(params: unknown): boolean {
  if (!isPlainObject(params)) return false;
  for (const key in params) if (!isUtf8Safe(key) || !isUtf8Safe((params as Record<string, unknown>)[key])) return false;
  return true;
}

/** Keys whose value is defined (JSON leaves the others out, and so does the binary writer). */
function definedKeys(value: object): number {
  let n = 0;
  for (const key in value) if ((value as Record<string, unknown>)[key] !== undefined) n++;
  return n;
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
