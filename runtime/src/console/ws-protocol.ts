/**
 * The console's WebSocket protocol (issue 29, decision 1970), pure: what a plain client may send in
 * a text frame, parsed strictly into typed requests, and the frames the node sends back. One JSON
 * object per frame, so any language's WebSocket client can speak it without a library of ours.
 *
 *   client → node   {"op":"send","id":"s1","message":{…ACL JSON…},"idempotencyKey":"k"?}
 *                   {"op":"follow","id":"f1","filter":{"conversation":"c1"}}
 *                   {"op":"unfollow","id":"f1"}
 *   node → client   {"type":"ready",…} once, then {"type":"sent"|"following"|"unfollowed","id",…},
 *                   {"type":"message"|"sampled","follow":"f1","data":…}, {"type":"error","id"?,"error":{…}}
 *
 * The message itself is decoded by the same function as POST /api/messages (api-handlers.ts), so a
 * WebSocket send and an HTTP send accept exactly the same messages.
 */
import {
  CONSOLE_FILTER_PARAMS,
  JSON_BODY_LIMITS,
  JSON_SHAPE_HINT,
  jsonShapeRefusal,
  parseIdempotencyKey,
  parseJson,
  type ConsoleErrorBody,
  type ConsoleMessageFilter,
  type IdempotencyKey,
  type SampledNotice,
  type SniffedMessage,
} from '@caxton/core';
import { ConsoleError } from './errors.js';
import { messageFilter } from './query.js';

/** A request id: the client's own name for a send or a follow, echoed back (short, printable). */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

export type WsRequest =
  | { op: 'send'; id: string; messageJson: string; idempotencyKey?: IdempotencyKey }
  | { op: 'follow'; id: string; filter: ConsoleMessageFilter }
  | { op: 'unfollow'; id: string };

export type WsReply =
  | { type: 'ready'; role: string; limits: WsLimits }
  | { type: 'sent'; id: string; messageId: string; accepted: string[]; refused: { receiver: string; reason: string }[] }
  | { type: 'following'; id: string }
  | { type: 'unfollowed'; id: string }
  | { type: 'message'; follow: string; data: SniffedMessage }
  | { type: 'sampled'; follow: string; data: SampledNotice }
  | ({ type: 'error'; id?: string; retryAfterMs?: number } & ConsoleErrorBody);

/** What the node tells a client it may do on one socket (sent in `ready`). */
export interface WsLimits {
  maxFrameBytes: number;
  maxFollows: number;
  /** Messages per follow per window before the follow is sampled (as the SSE stream). */
  budget: number;
  windowMs: number;
}

const OPS = ['send', 'follow', 'unfollow'] as const;
const FIELDS: Readonly<Record<WsRequest['op'], readonly string[]>> = {
  send: ['op', 'id', 'message', 'idempotencyKey'],
  follow: ['op', 'id', 'filter'],
  unfollow: ['op', 'id'],
};
const HINT = 'send one JSON object per text frame: {"op":"send"|"follow"|"unfollow","id":"<your id>",…}; see docs/console.md (WebSocket)';

function bad(message: string, hint = HINT): ConsoleError {
  return new ConsoleError('console.bad-request', message, hint);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The id of a frame, when it has a usable one: errors about the frame then name it. */
export function frameId(text: string): string | undefined {
  if (jsonShapeRefusal(text) !== undefined) return undefined;
  try {
    const raw = parseJson(text) as unknown;
    return isObject(raw) && typeof raw['id'] === 'string' && REQUEST_ID.test(raw['id']) ? raw['id'] : undefined;
  } catch {
    return undefined;
  }
}

/** One client frame → a typed request, or a typed `console.bad-request` that says what to fix. */
export function parseWsRequest(text: string): WsRequest {
  // Bounded before the parser builds anything (decision 1910, "JSON shape before parsing").
  const tooComplex = jsonShapeRefusal(text);
  if (tooComplex !== undefined)
    throw new ConsoleError('console.json-too-complex', tooComplex, JSON_SHAPE_HINT, {
      maxDepth: JSON_BODY_LIMITS.maxDepth,
      maxValues: JSON_BODY_LIMITS.maxValues,
    });
  let raw: unknown;
  try {
    raw = parseJson(text);
  } catch {
    throw bad('the frame is not JSON');
  }
  if (!isObject(raw)) throw bad('the frame is not a JSON object');
  const op = raw['op'];
  if (typeof op !== 'string' || !(OPS as readonly string[]).includes(op))
    throw bad(`op ${JSON.stringify(String(op).slice(0, 40))} is not one of ${OPS.join(', ')}`);
  const known = FIELDS[op as WsRequest['op']];
  for (const key of Object.keys(raw)) {
    if (!known.includes(key)) throw bad(`${op} has no field ${JSON.stringify(key.slice(0, 40))}`, `a ${op} frame has ${known.join(', ')}`);
  }
  const id = raw['id'];
  if (typeof id !== 'string' || !REQUEST_ID.test(id))
    throw bad('id must be 1-64 letters, digits, . _ : -', 'give every frame an id of your own; replies and errors echo it');
  switch (op) {
    case 'send': {
      const message = raw['message'];
      if (!isObject(message)) throw bad('send needs a message object', 'message is an ACL message in its JSON form (docs/acl.md)');
      const key = raw['idempotencyKey'];
      if (key !== undefined && typeof key !== 'string') throw bad('idempotencyKey must be a string');
      const idempotencyKey = parseIdempotencyKey(key, 'idempotencyKey');
      return { op, id, messageJson: JSON.stringify(message), ...(idempotencyKey !== undefined ? { idempotencyKey } : {}) };
    }
    case 'follow': {
      const filter = raw['filter'] ?? {};
      if (!isObject(filter)) throw bad('filter must be an object', `filter fields: ${CONSOLE_FILTER_PARAMS.join(', ')}`);
      const params = new URLSearchParams();
      for (const [key, value] of Object.entries(filter)) {
        if (!(CONSOLE_FILTER_PARAMS as readonly string[]).includes(key))
          throw bad(`filter has no field ${JSON.stringify(key.slice(0, 40))}`, `filter fields: ${CONSOLE_FILTER_PARAMS.join(', ')}`);
        if (typeof value !== 'string' || value.length > 256) throw bad(`filter.${key} must be a string of at most 256 characters`);
        params.set(key, value);
      }
      // The same filter, validated the same way, as /api/stream's query string.
      return { op, id, filter: messageFilter(params) };
    }
    default:
      return { op: 'unfollow', id };
  }
}

export function formatWsReply(reply: WsReply): string {
  return JSON.stringify(reply);
}
