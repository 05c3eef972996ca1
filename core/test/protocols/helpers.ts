/** Builders and assertions shared by the tracker tests. */
import assert from 'node:assert/strict';
import type { AclMessage, AgentId, Performative } from '../../src/acl/message.js';
import { ConversationTracker } from '../../src/protocols/tracker.js';
import type { TrackerOptions } from '../../src/protocols/options.js';
import type { ProtocolVerdict } from '../../src/protocols/verdict.js';
import { CAXTON_CODE_PARAM, CAXTON_EVENT_PARAM } from '../../src/protocols/replies.js';

export const PLATFORM: AgentId = { name: 'ams@caxton' };

export const agent = (name: string): AgentId => ({ name });

export function newTracker(options: Partial<TrackerOptions> = {}): ConversationTracker {
  return new ConversationTracker({ platformAgent: PLATFORM, ...options });
}

/** A message as the bus hands it to the engine: sender already stamped. */
export function msg(performative: Performative, from: string, to: string | readonly string[], extra: Partial<AclMessage> = {}): AclMessage {
  const receivers = (typeof to === 'string' ? [to] : to).map(agent);
  return { performative, sender: agent(from), receivers, ...extra };
}

export function assertDelivered(verdict: ProtocolVerdict, label = ''): void {
  assert.equal(verdict.kind, 'deliver', `${label} expected deliver, got: ${verdict.kind === 'reject' ? verdict.reason : ''}`);
}

/** Asserts a rejection and returns its reply for further checks. */
export function assertRejected(verdict: ProtocolVerdict, performative: Performative, code: string, label = ''): AclMessage {
  assert.equal(verdict.kind, 'reject', `${label} expected reject`);
  if (verdict.kind !== 'reject') throw new Error('unreachable');
  assert.equal(verdict.reply.performative, performative, label);
  assert.equal(verdict.error.code, code, label);
  assert.equal(verdict.reply.userParams?.[CAXTON_CODE_PARAM], code, label);
  assert.deepEqual(verdict.reply.sender, PLATFORM, `${label} the runtime answers as the platform`);
  assert.ok(verdict.reason.length > 0, `${label} a reason is given`);
  assert.equal(verdict.reply.content, verdict.reason, `${label} the reason travels in the content`);
  return verdict.reply;
}

export function eventOf(message: AclMessage): string | undefined {
  return message.userParams?.[CAXTON_EVENT_PARAM];
}

export const names = (agents: readonly AgentId[]): string[] => agents.map((a) => a.name);
