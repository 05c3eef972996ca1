/**
 * A gateway's request body: its declared size checked before a byte of it is read, then read
 * within the bound with the node's shared JSON body reader (readJsonBody), each of the reader's
 * refusals answered with the gateway's own status and code.
 */
import type { IncomingMessage } from 'node:http';
import { BODY_IDLE_MS } from '@caxton/core';
import { readJsonBody, type BodyLimit, type JsonBodyRefusal } from '../console/request-body.js';
import type { Refusal } from './refusal.js';

/** A gateway's status and code for each refusal of the JSON body reader; without a hint, the reader's. */
export type BodyRefusals = Readonly<Record<JsonBodyRefusal['refused'], { status: number; code: string; hint?: string }>>;

/** The refusal of a body whose declared size is not a byte count or is above the limit (`code`: the gateway's). */
export function declaredTooLarge(req: IncomingMessage, limit: BodyLimit, code: string): Refusal | undefined {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (Number.isSafeInteger(declared) && declared <= limit.max) return undefined;
  return {
    status: 413,
    code,
    // Node's HTTP parser passes on only a byte count (20 digits at most); the cut bounds what is echoed all the same.
    message: `the request declares ${String(req.headers['content-length']).slice(0, 32)} bytes, more than ${limit.max}`,
    hint: limit.hint,
  };
}

/** The body as JSON (undefined when empty), or the gateway's refusal of it. */
export async function readGatewayBody(
  req: IncomingMessage,
  limit: BodyLimit,
  refusals: BodyRefusals,
): Promise<{ body: unknown } | { refused: Refusal }> {
  const read = await readJsonBody(req, limit, BODY_IDLE_MS);
  if ('body' in read) return read;
  const as = refusals[read.refused];
  return { refused: { status: as.status, code: as.code, message: read.message, hint: as.hint ?? read.hint } };
}
