/**
 * The FIPA message envelope (SC00085, XML representation): what an ACC reads before the payload —
 * whom the message is for (`intended-receiver`, else `to`), whom it is from, how the payload is
 * written — and the `received` stamps each ACC on the way adds. Pure: XML text <-> typed value.
 *
 * Read strictly through xml-subset.ts (no DTD, no entities) and bounded in receivers, addresses
 * and stamps. Several `<params index="n">` blocks are merged in index order, later ones winning
 * field by field and adding stamps, as SC00067 says an envelope is updated on its way.
 */
import type { AgentId } from '../acl/message.js';
import { MtpFormatError } from './errors.js';
import { escapeXml, parseXml, type XmlElement } from './xml-subset.js';

/** `acl-representation` of the SC00070 string encoding: the only payload Caxton reads and writes. */
export const STRING_REPRESENTATION = 'fipa.acl.rep.string.std';

/** One `received` stamp: which ACC took the message, when, under which id. */
export interface ReceivedStamp {
  by: string;
  date: string;
  id?: string;
  from?: string;
  via?: string;
}

export interface MtpEnvelope {
  to: AgentId[];
  from?: AgentId;
  comments?: string;
  aclRepresentation: string;
  payloadLength?: number;
  payloadEncoding?: string;
  date?: string;
  intendedReceivers?: AgentId[];
  received: ReceivedStamp[];
}

export interface EnvelopeLimits {
  maxReceivers: number;
  maxAddresses: number;
  maxStamps: number;
  maxFieldBytes: number;
}

export const DEFAULT_ENVELOPE_LIMITS: EnvelopeLimits = Object.freeze({
  maxReceivers: 64,
  maxAddresses: 8,
  maxStamps: 32,
  maxFieldBytes: 2048,
});

function bad(rule: string, message: string): never {
  throw new MtpFormatError(
    rule,
    `envelope: ${message}`,
    'send an SC00085 envelope: <envelope><params index="1"><to>…</to><from>…</from><acl-representation>…',
  );
}

function field(value: string, what: string, limits: EnvelopeLimits): string {
  const v = value.trim();
  if (Buffer.byteLength(v) > limits.maxFieldBytes) bad('envelope.field-size', `${what} is longer than ${limits.maxFieldBytes} bytes`);
  return v;
}

function agentIdOf(el: XmlElement, what: string, limits: EnvelopeLimits): AgentId {
  if (el.name !== 'agent-identifier') bad('envelope.agent-identifier', `${what} holds <${el.name}>, not <agent-identifier>`);
  const nameEl = el.children.find((c) => c.name === 'name');
  const name = nameEl ? field(nameEl.text, `${what} name`, limits) : '';
  if (name === '') bad('envelope.agent-name', `${what} has no name`);
  const addresses: string[] = [];
  for (const a of el.children.filter((c) => c.name === 'addresses')) {
    for (const u of a.children.filter((c) => c.name === 'url')) {
      if (addresses.length >= limits.maxAddresses) bad('envelope.addresses', `${what} lists more than ${limits.maxAddresses} addresses`);
      addresses.push(field(u.text, `${what} address`, limits));
    }
  }
  return addresses.length > 0 ? { name, addresses } : { name };
}

function agentIds(el: XmlElement, what: string, limits: EnvelopeLimits): AgentId[] {
  const ids = el.children.map((c) => agentIdOf(c, what, limits));
  if (ids.length > limits.maxReceivers) bad('envelope.receivers', `${what} lists more than ${limits.maxReceivers} agents`);
  return ids;
}

function stampOf(el: XmlElement, limits: EnvelopeLimits): ReceivedStamp {
  const value = (name: string): string | undefined => {
    const c = el.children.find((x) => x.name === name);
    return c === undefined ? undefined : field(c.attributes['value'] ?? c.text, `received ${name}`, limits);
  };
  const stamp: ReceivedStamp = { by: value('received-by') ?? '', date: value('received-date') ?? '' };
  const id = value('received-id');
  const from = value('received-from');
  const via = value('received-via');
  if (id !== undefined) stamp.id = id;
  if (from !== undefined) stamp.from = from;
  if (via !== undefined) stamp.via = via;
  return stamp;
}

/** The parameters that are one text each, by element: the envelope's field each sets. */
const TEXT_PARAMS = new Map<string, 'comments' | 'aclRepresentation' | 'payloadEncoding' | 'date'>([
  ['comments', 'comments'],
  ['acl-representation', 'aclRepresentation'],
  ['payload-encoding', 'payloadEncoding'],
  ['date', 'date'],
]);

/** Parse an envelope's XML; throws MtpFormatError. The caller has bounded the text's size. */
export function parseMtpEnvelope(xml: string, limits: EnvelopeLimits = DEFAULT_ENVELOPE_LIMITS): MtpEnvelope {
  const root = parseXml(xml);
  if (root.name !== 'envelope') bad('envelope.root', `the root element is <${root.name.slice(0, 40)}>, not <envelope>`);
  const params = root.children.filter((c) => c.name === 'params');
  if (params.length === 0) bad('envelope.params', 'no <params>');
  const indexOf = (p: XmlElement): number => {
    const n = Number(p.attributes['index'] ?? '1');
    if (!Number.isSafeInteger(n) || n < 1)
      bad('envelope.params', `<params index="${String(p.attributes['index']).slice(0, 20)}"> is not a positive integer`);
    return n;
  };
  const ordered = params
    .map((p) => ({ p, n: indexOf(p) }))
    .sort((a, b) => a.n - b.n)
    .map((x) => x.p);
  let to: AgentId[] | undefined;
  const env: Omit<MtpEnvelope, 'to'> = { aclRepresentation: '', received: [] };
  for (const p of ordered) {
    for (const c of p.children) {
      const text = TEXT_PARAMS.get(c.name);
      if (text !== undefined) {
        env[text] = field(c.text, c.name, limits);
        continue;
      }
      switch (c.name) {
        case 'to':
          to = agentIds(c, 'to', limits);
          break;
        case 'from': {
          const ids = agentIds(c, 'from', limits);
          if (ids.length !== 1) bad('envelope.from', `from names ${ids.length} agents, not one`);
          env.from = ids[0]!;
          break;
        }
        case 'intended-receiver': {
          // SC00085 writes each intended receiver as its own element; several elements add up.
          env.intendedReceivers = [...(env.intendedReceivers ?? []), ...agentIds(c, 'intended-receiver', limits)];
          if (env.intendedReceivers.length > limits.maxReceivers)
            bad('envelope.receivers', `more than ${limits.maxReceivers} intended receivers`);
          break;
        }
        case 'payload-length': {
          const t = field(c.text, 'payload-length', limits);
          const n = Number(t);
          if (!/^\d{1,12}$/.test(t) || !Number.isSafeInteger(n))
            bad('envelope.payload-length', `payload-length ${JSON.stringify(t.slice(0, 20))} is not a byte count`);
          env.payloadLength = n;
          break;
        }
        case 'received':
          if (env.received.length >= limits.maxStamps) bad('envelope.received', `more than ${limits.maxStamps} received stamps`);
          env.received.push(stampOf(c, limits));
          break;
        default:
          break; // user-defined (X-…) and future parameters: not Caxton's to interpret
      }
    }
  }
  if (to === undefined || to.length === 0) bad('envelope.to', 'no receiver in <to>');
  if (env.aclRepresentation === '') bad('envelope.acl-representation', 'no <acl-representation>');
  return { to, ...env };
}

function agentIdXml(id: AgentId): string {
  const addresses =
    id.addresses && id.addresses.length > 0
      ? `<addresses>${id.addresses.map((a) => `<url>${escapeXml(a)}</url>`).join('')}</addresses>`
      : '';
  return `<agent-identifier><name>${escapeXml(id.name)}</name>${addresses}</agent-identifier>`;
}

/** The envelope as XML, one `<params index="1">` block, in SC00085's element order. */
export function encodeMtpEnvelope(env: MtpEnvelope): string {
  const parts: string[] = [`<to>${env.to.map(agentIdXml).join('')}</to>`];
  if (env.from) parts.push(`<from>${agentIdXml(env.from)}</from>`);
  if (env.comments !== undefined) parts.push(`<comments>${escapeXml(env.comments)}</comments>`);
  parts.push(`<acl-representation>${escapeXml(env.aclRepresentation)}</acl-representation>`);
  if (env.payloadLength !== undefined) parts.push(`<payload-length>${env.payloadLength}</payload-length>`);
  if (env.payloadEncoding !== undefined) parts.push(`<payload-encoding>${escapeXml(env.payloadEncoding)}</payload-encoding>`);
  if (env.date !== undefined) parts.push(`<date>${escapeXml(env.date)}</date>`);
  for (const r of env.intendedReceivers ?? []) parts.push(`<intended-receiver>${agentIdXml(r)}</intended-receiver>`);
  for (const s of env.received) {
    const v = (name: string, value: string | undefined): string => (value === undefined ? '' : `<${name} value="${escapeXml(value)}"/>`);
    parts.push(
      `<received>${v('received-by', s.by)}${v('received-from', s.from)}${v('received-date', s.date)}${v('received-id', s.id)}${v('received-via', s.via)}</received>`,
    );
  }
  return `<?xml version="1.0"?>\n<envelope><params index="1">${parts.join('')}</params></envelope>`;
}

/**
 * An instant as envelope dates are written by JADE 4 (the peer we test against): UTC as
 * `yyyyMMdd'Z'HHmmssSSS`, e.g. `20261124Z061848405`.
 */
export function envelopeDate(epochMs: number): string {
  const d = new Date(epochMs);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}Z${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}${p(d.getUTCMilliseconds(), 3)}`;
}
