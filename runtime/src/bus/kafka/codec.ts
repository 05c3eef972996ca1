/**
 * Kafka record layout of deliveries and dead letters. The record VALUE is the ACL message in
 * Caxton's JSON form (acl/json-codec.ts), so any Kafka tool shows a readable FIPA message; the
 * delivery envelope travels in headers, and the KEY is the receiver (Kafka's notion of "same key,
 * same partition, in order" is exactly the per-receiver order the log contract asks for).
 */
import type { Delivery } from '@caxton/core';
import type { IHeaders, KafkaMessage, Message } from 'kafkajs';
import { decodeAclJson, encodeAclJson } from '@caxton/core';
import type { DeadLetter } from '../message-log.js';

const H = {
  version: 'caxton-v',
  id: 'caxton-delivery-id',
  messageId: 'caxton-message-id',
  acceptedAt: 'caxton-accepted-at',
  reason: 'caxton-dl-reason',
  attempts: 'caxton-dl-attempts',
  at: 'caxton-dl-at',
} as const;

const VERSION = '1';

/**
 * `value` is the message's JSON when the caller already has it: the deliveries of one
 * multi-receiver message are still one record per receiver here (the receiver is the key and picks
 * the partition), but their shared message is encoded once per append (decision 1202).
 */
export function encodeDelivery(d: Delivery, partition: number, value: string = encodeAclJson(d.message)): Message {
  return {
    key: d.receiver,
    value,
    partition,
    headers: {
      [H.version]: VERSION,
      [H.id]: d.id,
      [H.messageId]: d.messageId,
      [H.acceptedAt]: String(d.acceptedAt),
    },
  };
}

export function encodeDeadLetter(l: DeadLetter): Message {
  const m = encodeDelivery(l.delivery, 0);
  return {
    ...m,
    headers: { ...m.headers, [H.reason]: l.reason, [H.attempts]: String(l.attempts), [H.at]: String(l.at) },
  };
}

function header(h: IHeaders | undefined, name: string): string | undefined {
  const v = h?.[name];
  if (v === undefined) return undefined;
  const one = Array.isArray(v) ? v[0] : v;
  return one === undefined ? undefined : one.toString();
}

function num(h: IHeaders | undefined, name: string): number {
  const s = header(h, name);
  const n = s === undefined ? NaN : Number(s);
  if (!Number.isFinite(n)) throw new Error(`header ${name} missing or not a number`);
  return n;
}

function str(h: IHeaders | undefined, name: string): string {
  const s = header(h, name);
  if (s === undefined || s.length === 0) throw new Error(`header ${name} missing`);
  return s;
}

/** Just the delivery id, cheaply, without decoding the message (for skip decisions). */
export function deliveryIdOf(m: KafkaMessage): string | undefined {
  return header(m.headers, H.id);
}

/** Decode a delivery record; throws (a plain Error, or an ACL error) if it is not one of ours. */
export function decodeDelivery(m: KafkaMessage): Delivery {
  const version = header(m.headers, H.version);
  if (version !== VERSION) throw new Error(`unknown record version ${version ?? '(none)'}`);
  if (m.key === null || m.value === null) throw new Error('record without key or value');
  return {
    id: str(m.headers, H.id),
    messageId: str(m.headers, H.messageId),
    receiver: m.key.toString(),
    message: decodeAclJson(m.value.toString('utf8')),
    acceptedAt: num(m.headers, H.acceptedAt),
  };
}

export function decodeDeadLetter(m: KafkaMessage): DeadLetter {
  return {
    delivery: decodeDelivery(m),
    reason: str(m.headers, H.reason),
    attempts: num(m.headers, H.attempts),
    at: num(m.headers, H.at),
  };
}
