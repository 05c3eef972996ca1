/**
 * The MTP outbox records (decision 1910, durable forwarding): one per message and destination ACC,
 * kept in the sending agent's state under a reserved key (`\u0000mtp/<message id>/<digest of the
 * destination>`) — the store pending HTTP calls use (decision 1601). Written before the bus counts
 * the agent's send as done, removed once the peer's `200` or the sender's `failure` is durable; a
 * record still there when the agent is activated is a post the node did not finish, posted again.
 * Pure: the key format, the record's shape, and its strict reading back.
 */
import { createHash } from 'node:crypto';
import {
  CaxtonError,
  decodeAclJson,
  encodeAclJson,
  isReservedStateKey,
  mtpOutboxStateKey,
  type AclMessage,
  type AgentId,
  type StateWrite,
} from '@caxton/core';

/** One definition of the key prefix (core's mtpOutboxStateKey). */
export const MTP_OUTBOX_PREFIX = mtpOutboxStateKey('');

export interface MtpOutboxRecord {
  messageId: string;
  /** The sending agent (whose egress rules the post goes under, and who gets the `failure`). */
  agent: string;
  /** The destination ACC. */
  url: string;
  /** The peer platform the receivers are on. */
  platform: string;
  receivers: AgentId[];
  message: AclMessage;
  /** When the send was accepted (ms since epoch). */
  at: number;
}

/** A record's key: the message id and a digest of the destination (a URL may be long and hold anything). */
export function mtpOutboxKey(messageId: string, url: string): string {
  return mtpOutboxStateKey(`${messageId}/${createHash('sha256').update(url).digest('hex').slice(0, 32)}`);
}

export function isMtpOutboxKey(key: string): boolean {
  return isReservedStateKey(key) && key.startsWith(MTP_OUTBOX_PREFIX);
}

export function encodeMtpOutboxRecord(r: MtpOutboxRecord): StateWrite {
  const value = JSON.stringify({
    v: 1,
    messageId: r.messageId,
    agent: r.agent,
    url: r.url,
    platform: r.platform,
    receivers: r.receivers,
    message: encodeAclJson(r.message),
    at: r.at,
  });
  return { key: mtpOutboxKey(r.messageId, r.url), value };
}

export function clearMtpOutboxRecord(messageId: string, url: string): StateWrite {
  return { key: mtpOutboxKey(messageId, url), value: null };
}

/**
 * Thrown for a record that cannot be read back (damaged, or written by another version): the
 * replay logs it (with its key) and removes it — internal, never an API answer, but typed as every
 * refusal is (review of mtpoutbox, 9).
 */
export class MtpOutboxRecordError extends CaxtonError {
  constructor(reason: string) {
    super('mtp.outbox-record-invalid', reason, {
      kind: 'data-loss',
      hint: 'the record is removed and its post is not made again; its sender got no answer for it — the state was damaged or imported from an incompatible node',
      context: { reason },
    });
  }
}

function text(o: Record<string, unknown>, field: string): string {
  const v = o[field];
  if (typeof v !== 'string' || v.length === 0) throw new MtpOutboxRecordError(`field ${field} is not a non-empty string`);
  return v;
}

/** A stored record, checked field by field (the message through core's ACL JSON codec and its limits). */
export function parseMtpOutboxRecord(value: string): MtpOutboxRecord {
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch (err) {
    throw new MtpOutboxRecordError(`not JSON: ${(err as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new MtpOutboxRecordError('not an object');
  const o = raw as Record<string, unknown>;
  if (o['v'] !== 1) throw new MtpOutboxRecordError(`unknown version ${String(o['v'])}`);
  const receivers = o['receivers'];
  if (
    !Array.isArray(receivers) ||
    receivers.length === 0 ||
    receivers.some((r) => typeof r !== 'object' || r === null || typeof (r as AgentId).name !== 'string')
  ) {
    throw new MtpOutboxRecordError('receivers is not a list of agent ids');
  }
  const at = o['at'];
  if (typeof at !== 'number' || !Number.isFinite(at)) throw new MtpOutboxRecordError('at is not a number');
  let message: AclMessage;
  try {
    message = decodeAclJson(text(o, 'message'));
  } catch (err) {
    throw new MtpOutboxRecordError(`message: ${(err as Error).message}`);
  }
  return {
    messageId: text(o, 'messageId'),
    agent: text(o, 'agent'),
    url: text(o, 'url'),
    platform: text(o, 'platform'),
    receivers: receivers.map((r: AgentId) => ({
      name: r.name,
      ...(Array.isArray(r.addresses) ? { addresses: r.addresses.filter((a) => typeof a === 'string') } : {}),
    })),
    message,
    at,
  };
}
