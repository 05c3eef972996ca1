/**
 * The pending-call records (decision 1601): when an agent calls `fetch`, the sandbox adds a state
 * write under the reserved key `\u0000http/<id>` to the handling's writes, so the record commits
 * atomically with the handling's completion. The gateway removes it once the answer is durably on
 * the bus; a record still there when the agent is activated is a call the node lost (crash,
 * failover), answered `interrupted`. Pure: the key format and the record's shape.
 */
import { httpPendingStateKey, type A2aAnswerForm, type StateWrite } from '@caxton/core';

/** One definition of the key, shared with the sandbox that writes it (core's httpPendingStateKey). */
export const PENDING_CALL_PREFIX = httpPendingStateKey('');

export interface PendingCallRecord {
  method: string;
  url: string;
  context?: string;
  conversationId?: string;
  /** An A2A call (decision 2193): how its answer is read for the agent, even an `interrupted` one. */
  a2a?: A2aAnswerForm;
  /** When the agent called (ms since epoch). */
  at: number;
}

export function pendingCallKey(callId: string): string {
  return httpPendingStateKey(callId);
}

/** The call id of a reserved key, or undefined for any other key. */
export function callIdOfKey(key: string): string | undefined {
  return key.startsWith(PENDING_CALL_PREFIX) ? key.slice(PENDING_CALL_PREFIX.length) : undefined;
}

/** A record as stored; anything unreadable yields what could be read (the answer must still go out). */
export function parsePendingCall(value: string): PendingCallRecord {
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch {
    return { method: '?', url: '?', at: 0 };
  }
  const r = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const record: PendingCallRecord = {
    method: typeof r['method'] === 'string' ? r['method'] : '?',
    url: typeof r['url'] === 'string' ? r['url'] : '?',
    at: typeof r['at'] === 'number' ? r['at'] : 0,
  };
  if (typeof r['context'] === 'string') record.context = r['context'];
  if (typeof r['conversationId'] === 'string') record.conversationId = r['conversationId'];
  if (r['a2a'] === 'a2a' || r['a2a'] === 'a2a-stream') record.a2a = r['a2a'];
  return record;
}

/** The records a handling committed, by call id (how the gateway learns a call's conversation). */
export function pendingCallsIn(writes: readonly StateWrite[]): Map<string, PendingCallRecord> {
  const out = new Map<string, PendingCallRecord>();
  for (const w of writes) {
    const id = callIdOfKey(w.key);
    if (id !== undefined && w.value !== null) out.set(id, parsePendingCall(w.value));
  }
  return out;
}

/** The write that removes a record. */
export function clearPendingCall(callId: string): StateWrite {
  return { key: pendingCallKey(callId), value: null };
}
