/** Tracker configuration, its defaults and validation. */
import type { AgentId } from '../acl/message.js';
import { ProtocolConfigError } from './errors.js';

export interface TrackerOptions {
  /**
   * Identity the runtime uses as the sender of the messages it injects (not-understood,
   * reject-proposal, deadline failure/inform). Agents cannot forge it: the runtime stamps senders.
   */
  readonly platformAgent: AgentId;
  /** Most active conversations tracked at once; an opening act beyond it is refused. Default 10 000. */
  readonly maxConversations?: number;
  /**
   * Most active conversations one initiator may have at once, so one noisy or hostile agent exhausts
   * its own quota rather than the platform's. Default 1 000.
   */
  readonly maxConversationsPerInitiator?: number;
  /**
   * A conversation with no message and no pending deadline for this long is abandoned: the
   * initiator is sent failure and tracking stops. Default one hour; `Infinity` disables it (then
   * only the caps bound memory).
   */
  readonly idleTimeoutMs?: number;
  /**
   * How long an ended conversation is remembered so late messages get a precise answer (a late
   * proposal is rejected rather than called unknown). Default 60 s.
   */
  readonly endedRetentionMs?: number;
  /** Most ended conversations remembered; the oldest is forgotten first. Default 10 000. */
  readonly maxEndedRetained?: number;
  /**
   * Most participants one conversation may have. An initiator adds participants by sending the
   * protocol's opener to more agents in the same conversation (one cfp per contractor, as JADE's
   * initiators do); past this the opener is refused with failure. Default 1 000.
   */
  readonly maxParticipants?: number;
  /**
   * Most text (UTF-16 code units of the initiator's, reply-to and participants' names and
   * addresses) all conversations tracked — in progress or ended and remembered — may hold. A name
   * may be 8 Ki characters with 32 addresses of as much, so the counts alone would let conversations
   * hold gigabytes. An opener past it first makes the oldest ended conversations forgotten, and is
   * refused with failure if that is not enough. Default 64 Mi.
   */
  readonly maxTrackedUnits?: number;
  /** Most of that text one initiator's conversations in progress may hold. Default 8 Mi. */
  readonly maxUnitsPerInitiator?: number;
  /**
   * What to do with a `:protocol` the runtime does not implement (fipa-english-auction, a private
   * protocol…). `deliver` (default) lets it through unpoliced; `reject` answers not-understood.
   */
  readonly unknownProtocol?: 'deliver' | 'reject';
}

export type ResolvedTrackerOptions = Required<TrackerOptions>;

export const TRACKER_DEFAULTS = {
  maxConversations: 10_000,
  maxConversationsPerInitiator: 1_000,
  idleTimeoutMs: 60 * 60 * 1000,
  endedRetentionMs: 60 * 1000,
  maxEndedRetained: 10_000,
  maxParticipants: 1_000,
  maxTrackedUnits: 64 * 1024 * 1024,
  maxUnitsPerInitiator: 8 * 1024 * 1024,
  unknownProtocol: 'deliver',
} as const satisfies Omit<ResolvedTrackerOptions, 'platformAgent'>;

export function resolveTrackerOptions(options: TrackerOptions): ResolvedTrackerOptions {
  const resolved: ResolvedTrackerOptions = { ...TRACKER_DEFAULTS, ...withoutUndefined(options) };
  if (typeof resolved.platformAgent?.name !== 'string' || resolved.platformAgent.name.length === 0) {
    throw new ProtocolConfigError('platformAgent must name the platform identity', 'pass e.g. { name: "ams@my-platform" }');
  }
  requireCount('maxConversations', resolved.maxConversations);
  requireCount('maxConversationsPerInitiator', resolved.maxConversationsPerInitiator);
  requireCount('maxEndedRetained', resolved.maxEndedRetained);
  requireCount('maxParticipants', resolved.maxParticipants);
  requireCount('maxTrackedUnits', resolved.maxTrackedUnits);
  requireCount('maxUnitsPerInitiator', resolved.maxUnitsPerInitiator);
  requireDuration('idleTimeoutMs', resolved.idleTimeoutMs, true);
  requireDuration('endedRetentionMs', resolved.endedRetentionMs, false);
  if (resolved.unknownProtocol !== 'deliver' && resolved.unknownProtocol !== 'reject') {
    throw new ProtocolConfigError(
      `unknownProtocol must be 'deliver' or 'reject', not ${String(resolved.unknownProtocol)}`,
      'use deliver unless every agent speaks only FIPA protocols',
    );
  }
  return resolved;
}

function withoutUndefined(options: TrackerOptions): TrackerOptions {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as unknown as TrackerOptions;
}

function requireCount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new ProtocolConfigError(`${name} must be a positive integer, not ${value}`, `set ${name} to at least 1`);
  }
}

function requireDuration(name: string, value: number, infinityAllowed: boolean): void {
  const ok = value === Infinity ? infinityAllowed : Number.isFinite(value) && value > 0;
  if (!ok) {
    throw new ProtocolConfigError(
      `${name} must be a positive number of milliseconds${infinityAllowed ? ' or Infinity' : ''}, not ${value}`,
      `set ${name} in milliseconds`,
    );
  }
}
