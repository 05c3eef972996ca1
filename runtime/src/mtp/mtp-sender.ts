/**
 * The outbound half of the FIPA HTTP MTP (decision 1910): what an agent sends to an agent of a
 * peer platform leaves as an SC00084 post to the peer's configured `acc` (or an address of the
 * receiver's AID with exactly that origin; never anywhere else: the post carries the peer's secret) — with an SC00085 envelope carrying this node's
 * `received` stamp. The post goes through the sending agent's egress rules exactly as its own HTTP
 * calls do (`performHttpCall`: its deployment's allow-list, the address guard, timeouts, the
 * request size cap) and waits while the kill switch holds the agent. Connection failures, timeouts,
 * 429 and 5xx are retried with backoff a bounded number of times; a delivery that finally fails
 * comes back to the sender as a FIPA `failure` from `ams@<platform>` with the reason.
 *
 * The sender's AID leaves with this node's ACC address for that peer (`…/acc/<the peer's
 * secret>`), so the peer's agents can answer, and only to a configured peer: no other platform
 * ever learns a secret.
 *
 * Durable forwarding: with a state store, each post has an outbox record in the sending agent's
 * state (`outbox-records.ts`) committed before `forward` resolves — so before the bus counts the
 * agent's send as done and its handling completes — and removed once the peer's `200` or the
 * sender's `failure` is durable. `recover` (the agent activated: start, restart, failover) posts
 * again what is left. At least once: a post answered `200` whose record was not yet removed is
 * posted again (the MTP has no message id a peer de-duplicates).
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  DEFAULT_MTP_RETRY,
  encodeAclString,
  encodeMtpEnvelope,
  encodeMultipart,
  envelopeDate,
  MTP_OUTBOX_LIMITS,
  STATE_COMMIT_MAX_BYTES,
  stateCommitBytes,
  STRING_REPRESENTATION,
  type AclMessage,
  type AgentId,
  type HttpPolicy,
  type MtpRetry,
  type StateWrite,
} from '@caxton/core';
import type { RemoteTransport } from '../bus/port.js';
import type { AgentStateStore } from '../storage/ports.js';
import { HttpCallFailure } from '../http/call-failure.js';
import { ConnectionPools } from '../http/connection-pools.js';
import { EgressGate, type EgressHold } from '../http/egress-hold.js';
import { performHttpCall } from '../http/outbound-client.js';
import { clearMtpOutboxRecord, encodeMtpOutboxRecord, isMtpOutboxKey, mtpOutboxKey, parseMtpOutboxRecord } from './outbox-records.js';
import { sendIdOf, withoutSignature, type MtpSigningRing } from './message-signature.js';
import { platformOf, type MtpPeer, type MtpPeerTable } from './peers.js';
import { MtpFailureNotDurable, MtpOutboxNotDurable } from './errors.js';

/** The retry schedule and its type live with the limits (core); named here for the sender's users. */
export { DEFAULT_MTP_RETRY, type MtpRetry };

/** The wait before attempt `attempt` (2 and on) of a post: the quick attempts' backoff, then the later ones'. */
export function mtpRetryDelayMs(retry: MtpRetry, attempt: number): number {
  if (attempt <= retry.attempts) return retry.firstDelayMs * 4 ** (attempt - 2);
  const later = retry.later!;
  return Math.min(later.firstDelayMs * 2 ** (attempt - retry.attempts - 1), later.maxDelayMs ?? Number.POSITIVE_INFINITY);
}

/**
 * A 429 or 503 answer's `Retry-After` (delay-seconds, or an HTTP date), in ms from `now`; undefined
 * when absent or unreadable. A later attempt waits at least this long, within its cap.
 */
export function retryAfterMs(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d{1,9}$/.test(v)) return Number(v) * 1000;
  // An HTTP date names its day and month (`Tue, 24 Nov 2026 12:00:00 GMT`); Date.parse alone would take `-5` as a year.
  if (!/^[A-Za-z]{3}, /.test(v)) return undefined;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export interface MtpSenderOptions {
  platform: string;
  peers: MtpPeerTable;
  /** This node's ACC (`http://host:port/acc`), once it listens: the return address given to peers. */
  accUrl: () => string | undefined;
  /** The sending agent's HTTP policy (its deployment's egress rules); undefined: it may reach nothing. */
  policyOf: (agent: string) => HttpPolicy | undefined;
  /**
   * The platform's `failure` to the sender, carrying `reason`, its kind (`X-caxton-failure`: one
   * of `MtpFailureKind`) and a message id stable for that outcome of that send, so a handling
   * that runs again and fails the same way is de-duplicated by the log (the bus builds and sends it).
   */
  fail: (original: AclMessage, reason: string, kind: MtpFailureKind, failureId: string) => Promise<void>;
  /**
   * Does this node own `agent` now (deployed here; an instance placed here, in memory or
   * passivated — not "in memory", review of outboxfix4 round 2)? Outbox records `recover` left for later are taken only
   * for agents still here: after a move the new owner posts them (and posts its own sends), so
   * the old node must not (review of outboxfix2). Absent: every agent is.
   */
  isLocal?: (agent: string) => boolean;
  log: (agent: string, level: 'info' | 'warn' | 'error', message: string) => void;
  hold?: EgressHold;
  retry?: MtpRetry;
  /** Posts waiting or on the network at once (outbox records not yet settled), node-wide; past it a send fails at once. Default MTP_OUTBOX_LIMITS.maxPostsInFlight. */
  maxInFlight?: number;
  /**
   * Of those, the most to one peer platform (default MTP_OUTBOX_LIMITS.maxPostsPerPeer): past it a
   * send to that peer fails at once (`mtp.peer-backlogged`) and its records left by `recover` wait,
   * while sends to other peers still go (review of outboxfix4, 3).
   */
  maxInFlightPerPeer?: number;
  /**
   * Where outbox records are kept (the agents' state store, as pending HTTP calls'): each post is
   * durable before the send counts as done, and replayed by `recover`. Absent: posts are held in
   * memory only (a node that stops loses them).
   */
  state?: AgentStateStore;
  /**
   * CA certificates (PEM) trusted, besides the system's and the agent's own `--http-ca`, for posts
   * to peers' `https://` ACCs (`--mtp-ca`, decision 2040): a peer platform with a private CA.
   */
  caPem?: string;
  /** The platform's signing keys (`--mtp-signing-key-file`, decision 2188): every post is signed with the first. */
  signing?: MtpSigningRing;
  now?: () => number;
}

/**
 * Where a post to `receiver` goes: its peer's configured `acc`, or the receiver's first http(s)
 * address with exactly that origin. Every post carries the peer's secret (in the sender's return
 * address), so an address elsewhere — which any other peer could have put in a `:reply-to` — is
 * never posted to, and a peer without a configured `acc` is not posted to at all.
 */
export function destinationOf(receiver: AgentId, peer: MtpPeer): { url: string } | { refused: string } {
  if (peer.acc === undefined) {
    return {
      refused: `${receiver.name} is on platform ${peer.platform}, which has no acc in the MTP peers file (posts go only to a peer's configured ACC)`,
    };
  }
  const origin = new URL(peer.acc).origin;
  const http = (receiver.addresses ?? []).filter((a) => /^https?:\/\//i.test(a));
  if (http.length === 0) return { url: peer.acc };
  const same = http.find((a) => URL.canParse(a) && new URL(a).origin === origin);
  if (same !== undefined) return { url: same };
  return {
    refused: `${receiver.name}'s addresses (${http.join(' ').slice(0, 200)}) are not at ${origin}, platform ${peer.platform}'s configured acc; not sent there (it would carry the platform's secret)`,
  };
}

/** The agent's egress rules, trusting the MTP's CA as well: the rules decide where a post may go, the CA only whom it believes there. */
function withMtpCa(policy: HttpPolicy | undefined, caPem: string | undefined): HttpPolicy | undefined {
  if (policy === undefined || caPem === undefined) return policy;
  return { ...policy, extraCaPem: policy.extraCaPem === undefined ? caPem : `${policy.extraCaPem}\n${caPem}` };
}

/** Is an HTTP answer or failure worth another attempt? Refusals by policy or by the peer are final. */
function retryable(outcome: { status: number } | { failure: HttpCallFailure }): boolean {
  if ('status' in outcome) return outcome.status === 429 || outcome.status >= 500;
  return outcome.failure.failure === 'connect-failed' || outcome.failure.failure === 'timeout' || outcome.failure.failure === 'protocol';
}

type Send = { messageId: string; message: AclMessage; agent: string };

/**
 * What a sender's `failure` from the MTP says, in its `X-caxton-failure` (docs/interop.md):
 * `mtp-delivery` — not delivered, for good (the peer refused, retries ran out, the destination or
 * the agent's rules forbid it); `mtp.outbox-full` — the node has the most posts in flight it takes,
 * send again later; `mtp.node-stopping` — the node is stopping, send again later;
 * `mtp.outbox-not-durable` — the outbox record could not be committed, send again;
 * `mtp.outbox-too-large` — the send's outbox records together exceed what one state commit takes
 * (STATE_COMMIT_MAX_BYTES), nothing kept or posted: send less, or to fewer peer ACCs at once;
 * `mtp.peer-backlogged` — the node has the most posts to that peer platform in flight it takes
 * (it is not answering): send to it again later; sends to other peers still go.
 */
export type MtpFailureKind =
  | 'mtp-delivery'
  | 'mtp.outbox-full'
  | 'mtp.node-stopping'
  | 'mtp.outbox-not-durable'
  | 'mtp.outbox-too-large'
  | 'mtp.peer-backlogged';

/**
 * The id of the `failure` for one outcome (`kind`) of one send to one destination: the same for
 * every handling of that send (its id is derived), so the log's dedup by delivery id keeps one.
 */
export function mtpFailureId(agent: string, messageId: string, kind: MtpFailureKind, destination: string): string {
  const hash = createHash('sha256').update(`caxton.mtp-failure.v1\0${agent}\0${messageId}\0${kind}\0${destination}`, 'utf8').digest('hex');
  return `f-${hash.slice(0, 32)}`;
}

/** A failure owed to the sender of a send that is not posted (sent once the send's records are durable). */
type Refusal = { reason: string; kind: MtpFailureKind; destination: string };

export class MtpSender implements RemoteTransport {
  private readonly pools = new ConnectionPools();
  private readonly gate: EgressGate;
  private readonly running = new Set<Promise<unknown>>();
  private readonly retry: MtpRetry;
  private readonly maxInFlight: number;
  private readonly maxPerPeer: number;
  /** Posts not settled yet (`<agent>\0<message id>\0<url>`, to the peer platform): what counts against maxInFlight, and what `recover` leaves alone. */
  private readonly posting = new Map<string, string>();
  /** Of `posting`, how many per peer platform: what counts against maxPerPeer. */
  private readonly perPeer = new Map<string, number>();
  /**
   * For each agent whose state `recover` is reading, the outbox keys of posts that settled during
   * the read: dropped from the queue it builds, which may hold them (read before they settled).
   */
  private readonly settledDuringRead = new Map<string, Set<Set<string>>>();
  /** Posts whose outbox records are being committed (a subset of `posting`): a second forward of one awaits its commit. */
  private readonly committing = new Map<string, Promise<void>>();
  private closed = false;
  /**
   * Agents whose outbox records `recover` left for later (the bound was reached), each with the
   * records not yet taken (state key to value, in the order read), so a drain pass reads nothing.
   */
  private readonly backlog = new Map<string, Map<string, string>>();
  private draining = false;
  private drainAgain = false;
  private accListening!: () => void;
  /** Resolves once the ACC listens (the return address exists) or the sender closes. */
  private readonly accReady = new Promise<void>((resolve) => {
    this.accListening = resolve;
  });
  private stop!: () => void;
  /** Resolves when the sender closes: a post waiting out its backoff stops waiting (its record stays). */
  private readonly stopped = new Promise<void>((resolve) => {
    this.stop = resolve;
  });

  constructor(private readonly o: MtpSenderOptions) {
    this.gate = new EgressGate(o.hold);
    this.retry = o.retry ?? DEFAULT_MTP_RETRY;
    this.maxInFlight = o.maxInFlight ?? MTP_OUTBOX_LIMITS.maxPostsInFlight;
    this.maxPerPeer = Math.min(o.maxInFlightPerPeer ?? MTP_OUTBOX_LIMITS.maxPostsPerPeer, this.maxInFlight);
  }

  /** A slot taken for a post to `platform`. */
  private occupy(key: string, platform: string): void {
    if (this.posting.has(key)) return;
    this.posting.set(key, platform);
    this.perPeer.set(platform, (this.perPeer.get(platform) ?? 0) + 1);
  }

  /** A post's slot given back. */
  private release(key: string): void {
    const platform = this.posting.get(key);
    if (platform === undefined) return;
    this.posting.delete(key);
    const n = (this.perPeer.get(platform) ?? 1) - 1;
    if (n <= 0) this.perPeer.delete(platform);
    else this.perPeer.set(platform, n);
  }

  /** Does `platform` hold as many slots as one peer may? */
  private peerFull(platform: string): boolean {
    return (this.perPeer.get(platform) ?? 0) >= this.maxPerPeer;
  }

  /**
   * The outbox record `key` of `agent` settled or was removed: it leaves the agent's queue, and any
   * queue a `recover` is building from a read begun before (review of outboxfix4, 1).
   */
  private unqueue(agent: string, key: string): void {
    this.backlog.get(agent)?.delete(key);
    for (const settled of this.settledDuringRead.get(agent) ?? []) settled.add(key);
  }

  /** Posts not settled yet (waiting, on the network, or their outcome's commit in flight): what counts against `maxInFlight`. */
  get unsettled(): number {
    return this.posting.size;
  }

  reaches(receiver: AgentId): boolean {
    const platform = platformOf(receiver.name);
    return platform !== undefined && platform !== this.o.platform && this.o.peers.byName(platform) !== undefined;
  }

  async forward(send: { messageId: string; message: AclMessage; receivers: AgentId[]; agent: string }): Promise<void> {
    // One post per destination ACC, naming the receivers it serves.
    const groups = new Map<string, { peer: MtpPeer; receivers: AgentId[] }>();
    const refused: string[] = [];
    for (const r of send.receivers) {
      const peer = this.o.peers.byName(platformOf(r.name)!)!;
      const dest = destinationOf(r, peer);
      if ('refused' in dest) {
        refused.push(dest.refused);
        continue;
      }
      const url = dest.url;
      const g = groups.get(url) ?? { peer, receivers: [] };
      g.receivers.push(r);
      groups.set(url, g);
    }
    // Failures owed to the sender are sent once this send's records are durable, and awaited: a
    // handling that runs again (its commit failed, or the node crashed before its completion)
    // sends them again under the same ids, which the log de-duplicates (review of mtpoutbox, 4).
    const refusals: Refusal[] = refused.length > 0 ? [{ reason: refused.join('; '), kind: 'mtp-delivery', destination: '' }] : [];
    /** Commits of the same posts by an earlier forward still in flight: this one is durable only with them (review, 5). */
    const earlier: Promise<void>[] = [];
    /** The receivers of those posts: the ones not reached if an earlier commit failed. */
    const earlierNames: string[] = [];
    const admitted: [string, { peer: MtpPeer; receivers: AgentId[] }][] = [];
    for (const [url, g] of groups) {
      const key = postKey(send.agent, send.messageId, url);
      const committing = this.committing.get(key);
      if (committing !== undefined) {
        earlier.push(committing);
        earlierNames.push(...g.receivers.map((r) => r.name));
        continue;
      }
      if (this.posting.has(key)) continue; // the same send again (its handling re-run): posting already, its record durable
      // The same send again, its record durable and queued by a replay: it is posted as slots free,
      // so the sender is not told to send again (it would send twice; review of outboxfix4).
      if (this.backlog.get(send.agent)?.has(mtpOutboxKey(send.messageId, url))) continue;
      const names = g.receivers.map((r) => r.name).join(', ');
      if (this.closed) {
        refusals.push({
          reason: `mtp.node-stopping: the node is stopping; ${names} not reached (send again later)`,
          kind: 'mtp.node-stopping',
          destination: url,
        });
        continue;
      }
      // While a drain pass takes the records `recover` left (the node was full), freed slots are
      // theirs: the oldest posts, inherited on failover, do not starve behind new sends.
      if (this.posting.size >= this.maxInFlight || this.draining) {
        refusals.push({
          reason:
            this.posting.size >= this.maxInFlight
              ? `mtp.outbox-full: the node has ${this.posting.size} MTP posts not yet answered, the most it takes (${this.maxInFlight}); ${names} not reached (send again later)`
              : `mtp.outbox-full: the node is posting the outbox records it took over (it was full), which go first; ${names} not reached (send again later)`,
          kind: 'mtp.outbox-full',
          destination: url,
        });
        continue;
      }
      // Within the node's bound, one peer platform holds at most its share (review of outboxfix4, 3).
      if (this.peerFull(g.peer.platform)) {
        refusals.push({
          reason: `mtp.peer-backlogged: the node has ${this.perPeer.get(g.peer.platform) ?? 0} MTP posts to platform ${g.peer.platform} not yet answered, the most it takes for one peer (${this.maxPerPeer}); ${names} not reached (send again later: that platform is not answering; sends to other platforms still go)`,
          kind: 'mtp.peer-backlogged',
          destination: url,
        });
        continue;
      }
      this.occupy(key, g.peer.platform);
      // The same post may wait in the backlog's queue (a re-run of a handling whose record a replay
      // read): a queued record being posted is passed over by `take`, and leaves the queue when it
      // settles — so if this commit fails, it is still queued (review of outboxfix4).
      admitted.push([url, g]);
    }
    let records: StateWrite[] | undefined;
    if (admitted.length > 0 && this.o.state !== undefined) {
      const at = this.o.now?.() ?? Date.now();
      try {
        records = admitted.map(([url, g]) =>
          encodeMtpOutboxRecord({
            messageId: send.messageId,
            agent: send.agent,
            url,
            platform: g.peer.platform,
            receivers: g.receivers,
            message: send.message,
            at,
          }),
        );
      } catch (err) {
        // An encoder that throws fails the send as a failed commit does: the slots taken above are given back (review of outboxfix2).
        for (const [url] of admitted) this.release(postKey(send.agent, send.messageId, url));
        throw this.notDurable(send, refusals, admitted.flatMap(([, g]) => g.receivers.map((r) => r.name)).join(', '), err);
      }
      // Checked before the commit (review of mtpoutbox, 8): every record carries the message (as
      // JSON in JSON, so up to ~4× it), once per destination ACC; past what one state commit takes
      // (the Kafka state topic's max.message.bytes) the store would refuse it with a non-retryable
      // error and the handling would run again until dead-lettered. Refused whole, as a typed
      // failure to the sender: nothing kept, nothing posted (decision 1910, "Outbox size and replay removals").
      const bytes = stateCommitBytes(send.agent, records);
      if (bytes > STATE_COMMIT_MAX_BYTES) {
        for (const [url] of admitted) this.release(postKey(send.agent, send.messageId, url));
        const names = admitted.flatMap(([, g]) => g.receivers.map((r) => r.name)).join(', ');
        refusals.push({
          reason: `mtp.outbox-too-large: the outbox records of message ${send.messageId} (one per destination ACC, ${admitted.length}) take ${bytes} bytes, more than one state commit takes (${STATE_COMMIT_MAX_BYTES}); ${names} not reached, nothing posted (send a smaller message, or to fewer peer ACCs at once)`,
          kind: 'mtp.outbox-too-large',
          destination: '',
        });
        admitted.length = 0;
        records = undefined;
      }
    }
    if (records !== undefined && this.o.state !== undefined) {
      // Durable before the send counts as done: a failed commit fails the send (the handling runs again).
      const state = this.o.state;
      const writes = records;
      // A synchronous throw (a store) becomes this rejection, handled below: the slots taken above
      // are given back, never leaked (review of outboxfix2).
      const commit = Promise.resolve().then(() => state.commitState(send.agent, writes));
      const keys = admitted.map(([url]) => postKey(send.agent, send.messageId, url));
      for (const key of keys) this.committing.set(key, commit);
      try {
        await commit;
      } catch (err) {
        for (const key of keys) this.release(key);
        const names = admitted.flatMap(([, g]) => g.receivers.map((r) => r.name)).join(', ');
        throw this.notDurable(send, refusals, names, err);
      } finally {
        for (const key of keys) this.committing.delete(key);
      }
    }
    for (const [url, g] of admitted) this.track(this.deliver(send, url, g.peer, g.receivers));
    if (earlier.length > 0) {
      // The earlier forward's commit failed: so did this send (the handling runs again and forwards again).
      const failed = (await Promise.allSettled(earlier)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed !== undefined) throw this.notDurable(send, refusals, earlierNames.join(', '), failed.reason);
    }
    // Done only once the sender's failures are durable: one the log could not take fails the send,
    // which runs again and sends it again under the same id (review of outboxfix2). The posts
    // admitted here are not posted twice meanwhile (`posting`), though one that settled before the
    // re-run is posted again (at least once).
    const sent = await Promise.all(refusals.map((r) => this.failed(send, r.reason, r.kind, r.destination)));
    if (sent.includes(false)) {
      const notSent = refusals.filter((_, i) => !sent[i]);
      throw new MtpFailureNotDurable(send.agent, send.messageId, notSent.map((r) => r.reason).join('; '), async () => {
        await Promise.all(notSent.map((r) => this.failed(send, r.reason, r.kind, r.destination)));
      });
    }
  }

  /** The typed refusal of a send whose records could not be committed; an `init` (never re-run) answers its sender through it. */
  private notDurable(send: Send, refusals: readonly Refusal[], names: string, err: unknown): MtpOutboxNotDurable {
    return new MtpOutboxNotDurable(send.agent, send.messageId, err, async () => {
      await Promise.all([
        this.failed(
          send,
          `mtp.outbox-not-durable: ${names} not reached: the outbox record could not be committed (${(err as Error)?.message ?? String(err)}); send again`,
          'mtp.outbox-not-durable',
          '',
        ),
        ...refusals.map((r) => this.failed(send, r.reason, r.kind, r.destination)),
      ]);
    });
  }

  /** The ACC listens: posts waiting for a return address (replayed at start, or sent before) go on. */
  listening(): void {
    this.accListening();
  }

  /**
   * The agent was activated on this node (start, restart, failover): every outbox record not being
   * posted here is a post a node did not finish; it is posted again (same retries). A record that
   * cannot be read is logged and removed; a record whose peer or destination is no longer what the
   * MTP peers file says is returned to the sender as `failure` (never posted elsewhere).
   *
   * Within the node's bound: once `maxInFlight` posts are unsettled, the agent's other records are
   * left where they are, and a later pass (when a post settles and frees a slot) takes them — after
   * a failover one node may inherit several nodes' outboxes (review of mtpoutbox, 7). While such a
   * pass runs, new sends are refused `mtp.outbox-full`: the freed slots go to the older records
   * first; an agent no longer hosted here (`isLocal`) is dropped from the waiting list. Resolves to
   * the number of records taken on this pass.
   */
  async recover(agent: string): Promise<number> {
    if (this.o.state === undefined || this.closed) return 0;
    const waiting = this.backlog.has(agent);
    const settled = new Set<string>();
    const readers = this.settledDuringRead.get(agent) ?? new Set<Set<string>>();
    readers.add(settled);
    this.settledDuringRead.set(agent, readers);
    let entries: ReadonlyMap<string, string>;
    try {
      entries = await this.o.state.readState(agent);
    } finally {
      readers.delete(settled);
      if (readers.size === 0) this.settledDuringRead.delete(agent);
    }
    // The agent's records are read once, here, and queued: a later pass (a slot freed) takes the
    // next ones from the queue instead of reading and walking the whole state again, so draining N
    // records costs one read, not N (decision 1910, "Outbox drain, retry timer"). An activation
    // reads afresh and replaces the queue.
    const queue = new Map<string, string>();
    // A post that settled while the state was read may be in it still: not queued (review of outboxfix4, 1).
    for (const [key, value] of entries) if (isMtpOutboxKey(key) && !settled.has(key)) queue.set(key, value);
    this.backlog.set(agent, queue);
    return this.take(agent, queue, waiting);
  }

  /**
   * Post the agent's queued records while the node's bound allows; what is left stays queued (and
   * in the state) for the next freed slot. Resolves to the number of records taken.
   */
  private async take(agent: string, queue: Map<string, string>, waiting: boolean): Promise<number> {
    let replayed = 0;
    for (const [key, value] of queue) {
      // A newer activation's read replaced this queue: that one goes on.
      if (this.closed || this.backlog.get(agent) !== queue) return replayed;
      if (this.posting.size >= this.maxInFlight) {
        // Checked before the record is read: a record this pass does not take stays for the next.
        // Once, when the agent starts waiting: not once per freed slot.
        if (!waiting)
          this.o.log(
            agent,
            'info',
            `[caxton] mtp: ${this.posting.size} MTP posts are unsettled, the most the node takes (${this.maxInFlight}); ${agent}'s other outbox records are posted as those settle`,
          );
        return replayed;
      }
      let record;
      try {
        record = parseMtpOutboxRecord(value);
      } catch (err) {
        queue.delete(key);
        this.o.log(
          agent,
          'error',
          `[caxton] mtp: an outbox record (${JSON.stringify(key.slice(1, 120))}) could not be read and is removed: ${(err as Error).message}`,
        );
        await this.removeRecord(agent, key);
        continue;
      }
      // A record names its agent and the message its sender: both must be the state's owner. State
      // can be imported by an operator (`caxton state import`): a record written for another agent
      // must not post in that agent's name under this one's egress rules (review of mtpoutbox).
      const ownSender = `${agent}@${this.o.platform}`;
      if (record.agent !== agent || (record.message.sender !== undefined && record.message.sender.name !== ownSender)) {
        queue.delete(key);
        this.o.log(
          agent,
          'error',
          `[caxton] mtp: an outbox record for ${JSON.stringify(record.agent.slice(0, 120))} sent as ${JSON.stringify((record.message.sender?.name ?? '').slice(0, 120))} is not ${agent}'s and is removed, not posted`,
        );
        await this.removeRecord(agent, key);
        continue;
      }
      const pk = postKey(agent, record.messageId, record.url);
      // Being posted (a forward of the same send, or a pass before): it leaves the queue when it settles.
      if (this.posting.has(pk)) continue;
      // Its peer holds its share of the slots (it is not answering): the record waits in the queue
      // for one of them to settle, and the agent's records to other peers go on (review of outboxfix4, 3).
      if (this.peerFull(record.platform)) continue;
      queue.delete(key);
      const send: Send = { messageId: record.messageId, message: record.message, agent };
      const peer = this.o.peers.byName(record.platform);
      const moved =
        peer === undefined
          ? `platform ${record.platform} is no longer in the MTP peers file`
          : record.receivers
              .map((r) => destinationOf(r, peer))
              .map((d) =>
                'refused' in d
                  ? d.refused
                  : d.url !== record.url
                    ? `the destination is now ${new URL(d.url).origin}, not ${new URL(record.url).origin}`
                    : undefined,
              )
              .find((d) => d !== undefined);
      this.occupy(pk, record.platform);
      replayed += 1;
      if (moved !== undefined) {
        this.track(
          this.settle(
            send,
            record.url,
            this.failed(send, `message ${record.messageId} (kept across a restart) not posted: ${moved}`, 'mtp-delivery', record.url),
          ),
        );
        continue;
      }
      this.o.log(
        agent,
        'info',
        `[caxton] mtp: message ${record.messageId} to ${record.receivers.map((r) => r.name).join(', ')} was not answered before the node stopped; posting it again`,
      );
      this.track(this.deliver(send, record.url, peer!, record.receivers));
    }
    if (this.backlog.get(agent) === queue && queue.size === 0) this.backlog.delete(agent);
    return replayed;
  }

  /**
   * Remove a record the replay will not post. A failed removal is logged and the replay goes on
   * with the agent's other records (review of mtpoutbox, 9): the record stays, is not posted, and
   * the next activation meets it again.
   */
  private async removeRecord(agent: string, key: string): Promise<void> {
    try {
      await this.o.state!.commitState(agent, [{ key, value: null }]);
      this.unqueue(agent, key);
    } catch (err) {
      this.o.log(
        agent,
        'warn',
        `[caxton] mtp: an outbox record (key ${JSON.stringify(key.slice(1, 120))}) could not be removed (it is met again at the next activation): ${(err as Error)?.message ?? String(err)}`,
      );
    }
  }

  /** Stop: posts not yet on the network are not sent (their senders get no failure: the node is going away). */
  async close(): Promise<void> {
    this.closed = true;
    this.accListening();
    this.stop();
    this.gate.close();
    this.pools.close();
    await Promise.allSettled([...this.running]);
  }

  private track(p: Promise<unknown>): void {
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
  }

  /** Return `failure` to the sender; true once it is durable (false: it could not be, so any record stays). */
  private failed(send: Send, reason: string, kind: MtpFailureKind, destination: string): Promise<boolean> {
    this.o.log(send.agent, 'warn', `[caxton] mtp: ${reason}`);
    return this.o.fail(send.message, reason, kind, mtpFailureId(send.agent, send.messageId, kind, destination)).then(
      () => true,
      (err: unknown) => {
        this.o.log(send.agent, 'error', `[caxton] mtp: the failure could not be returned: ${(err as Error).message}`);
        return false;
      },
    );
  }

  /** The post's body: envelope and ACL message, the sender (and this platform's reply-to) given this node's ACC for `peer`. */
  private post(
    send: { messageId: string; message: AclMessage; agent: string },
    peer: MtpPeer,
    receivers: AgentId[],
    accBase: string,
  ): { body: string; boundary: string } {
    const returnAddress = `${accBase}/${peer.secret}`;
    const withAddress = (id: AgentId): AgentId => (platformOf(id.name) === this.o.platform ? { ...id, addresses: [returnAddress] } : id);
    const message: AclMessage = {
      ...send.message,
      sender: withAddress(send.message.sender ?? { name: `${send.agent}@${this.o.platform}` }),
    };
    if (message.replyTo) message.replyTo = message.replyTo.map(withAddress);
    const now = this.o.now?.() ?? Date.now();
    // Signed at each attempt, with the platform's current key (decision 2188); an `X-caxton-sig` the
    // agent wrote itself never leaves (it is not the platform's).
    const params = withoutSignature(message.userParams);
    if (params === undefined) delete message.userParams;
    else message.userParams = params;
    // The send id (its message id's digest) is signed too: every attempt of this send carries it, so
    // the receiver knows them for one send, and a replay for the same (decision 2188).
    const payload = Buffer.from(
      encodeAclString(this.o.signing ? this.o.signing.sign(message, now, sendIdOf(send.messageId)) : message),
      'utf8',
    );
    const envelope = encodeMtpEnvelope({
      to: receivers,
      from: message.sender!,
      aclRepresentation: STRING_REPRESENTATION,
      payloadLength: payload.length,
      payloadEncoding: 'UTF-8',
      date: envelopeDate(now),
      intendedReceivers: receivers,
      received: [{ by: accBase, date: envelopeDate(now), id: send.messageId }],
    });
    let boundary = randomBytes(16).toString('hex');
    while (payload.includes(boundary)) boundary = randomBytes(16).toString('hex');
    const body = encodeMultipart(
      [
        { contentType: 'application/xml', body: Buffer.from(envelope, 'utf8') },
        { contentType: 'application/text', body: payload },
      ],
      boundary,
    );
    return { body: body.toString('utf8'), boundary };
  }

  /** Post, then remove the outbox record once the outcome is durable (kept when the node stopped first). */
  private deliver(send: Send, url: string, peer: MtpPeer, receivers: AgentId[]): Promise<void> {
    return this.settle(send, url, this.post1(send, url, peer, receivers));
  }

  /** After `outcome` (true: durable — the peer's 200 or the sender's failure), the record goes; it stays when the node stopped first. */
  private async settle(send: Send, url: string, outcome: Promise<boolean | void>): Promise<void> {
    try {
      const done = await outcome;
      if (done === false || this.closed || this.o.state === undefined) return;
      await this.o.state.commitState(send.agent, [clearMtpOutboxRecord(send.messageId, url)]).catch((err: unknown) => {
        this.o.log(
          send.agent,
          'warn',
          `[caxton] mtp: the outbox record of message ${send.messageId} could not be removed (it is posted again at the next start): ${(err as Error).message}`,
        );
      });
    } finally {
      this.release(postKey(send.agent, send.messageId, url));
      // Settled (or left for the next activation): it leaves the agent's queue, so a drain does not
      // post it again (review of outboxfix4, 1).
      this.unqueue(send.agent, mtpOutboxKey(send.messageId, url));
      // Moved: its queue (and the values it holds) goes now, not at the next drain pass.
      if (this.o.isLocal?.(send.agent) === false) this.backlog.delete(send.agent);
      if (this.backlog.size > 0) this.drainBacklog();
    }
  }

  /**
   * A slot freed and some agents have outbox records `recover` left (the bound was reached): one
   * pass at a time takes them, agent after agent, as far as the bound allows; a slot freed during a
   * pass asks for another once it ends.
   */
  private drainBacklog(): void {
    if (this.closed) return;
    if (this.draining) {
      this.drainAgain = true;
      return;
    }
    this.draining = true;
    const pass = (async () => {
      do {
        this.drainAgain = false;
        for (const [agent, queue] of [...this.backlog]) {
          if (this.closed || this.posting.size >= this.maxInFlight) break;
          if (this.o.isLocal !== undefined && !this.o.isLocal(agent)) {
            // Moved (or stopped): its new owner's activation posts its records.
            this.backlog.delete(agent);
            continue;
          }
          await this.take(agent, queue, true);
        }
      } while (this.drainAgain && !this.closed && this.backlog.size > 0 && this.posting.size < this.maxInFlight);
    })().finally(() => {
      this.draining = false;
    });
    this.track(pass);
  }

  /** True once settled for good (answered 200, or the failure returned); false when the node stopped first. */
  private async post1(send: Send, url: string, peer: MtpPeer, receivers: AgentId[]): Promise<boolean> {
    const names = receivers.map((r) => r.name).join(', ');
    if (this.o.accUrl() === undefined) await this.accReady;
    if (this.closed) return false;
    const accBase = this.o.accUrl();
    if (accBase === undefined)
      return this.failed(send, `the node's ACC is not listening, so ${names} could not answer; not sent`, 'mtp-delivery', url);
    let { body, boundary } = this.post(send, peer, receivers, accBase);
    let last = '';
    /** The peer's last `Retry-After` (429, 503), honoured by the later attempts within their cap. */
    let peerWait: number | undefined;
    // The quick attempts, then the later ones on a timer (the record and the slot kept meanwhile).
    const attempts = this.retry.attempts + (this.retry.later?.attempts ?? 0);
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) {
        let timer: NodeJS.Timeout | undefined;
        let delay = mtpRetryDelayMs(this.retry, attempt);
        if (attempt > this.retry.attempts && peerWait !== undefined)
          delay = Math.min(Math.max(delay, peerWait), this.retry.later?.maxDelayMs ?? Number.POSITIVE_INFINITY);
        if (attempt === this.retry.attempts + 1)
          this.o.log(
            send.agent,
            'info',
            `[caxton] mtp: message ${send.messageId} to ${names} is kept and tried again in ${Math.round(delay / 1000)} s (${attempts - attempt + 1} more attempts before the sender's failure)`,
          );
        await Promise.race([
          new Promise((r) => {
            timer = setTimeout(r, delay);
          }),
          this.stopped,
        ]);
        clearTimeout(timer);
      }
      while (this.gate.isHeld(send.agent)) await this.gate.released(send.agent);
      if (this.closed) return false;
      // Moved (a rebalance) or stopped while this post waited: its new owner's activation posts the
      // record, which stays; no outcome here — no failure to the sender, nothing removed (review of outboxfix4, 2).
      if (attempt > 1 && this.o.isLocal?.(send.agent) === false) {
        this.o.log(
          send.agent,
          'info',
          `[caxton] mtp: ${send.agent} is no longer on this node; message ${send.messageId} to ${names} is left to its new owner`,
        );
        return false;
      }
      // Signed again for each later attempt (decision 2188): a peer refuses a signature older than
      // its allowed skew (5 minutes), and the later attempts go on for ~25 minutes.
      if (attempt > 1 && this.o.signing) ({ body, boundary } = this.post(send, peer, receivers, accBase));
      // Read each attempt: an upgrade may have narrowed the agent's egress rules meanwhile.
      const policy = withMtpCa(this.o.policyOf(send.agent), this.o.caPem);
      if (policy === undefined)
        return this.failed(
          send,
          `${send.agent}'s deployment allows no HTTP, so no MTP post to ${url} (deploy it with --allow-http for that ACC)`,
          'mtp-delivery',
          url,
        );
      const held = this.gate.attempt(send.agent);
      let outcome: { status: number; code?: string | undefined } | { failure: HttpCallFailure };
      try {
        const res = await performHttpCall(
          policy,
          {
            method: 'POST',
            url,
            body,
            // One connection per post: JADE 4.6.5's HTTP MTP delivers a post that arrives on a
            // keep-alive connection but holds its answer until the connection closes (measured), so
            // a kept-alive post would time out after being delivered, and be retried: a duplicate.
            headers: [
              ['content-type', `multipart/mixed ; boundary="${boundary}"`],
              ['mime-version', '1.0'],
              ['cache-control', 'no-cache'],
              ['connection', 'close'],
            ],
          },
          { pools: this.pools, signal: held.signal },
        );
        outcome = { status: res.status, code: refusalCode(res.status, res.body) };
        peerWait =
          res.status === 429 || res.status === 503
            ? retryAfterMs(res.headers.find(([k]) => k === 'retry-after')?.[1], this.o.now?.() ?? Date.now())
            : undefined;
      } catch (err) {
        outcome = { failure: err instanceof HttpCallFailure ? err : new HttpCallFailure('protocol', (err as Error).message) };
      } finally {
        held.done();
      }
      // Cut by the node stopping: not an outcome; the record stays and the next start posts again.
      if (this.closed) return false;
      if ('status' in outcome && outcome.status === 200) return true;
      last =
        'status' in outcome
          ? `${url} answered HTTP ${outcome.status}${outcome.code ? ` (${outcome.code})` : ''}`
          : `${outcome.failure.failure}: ${outcome.failure.message}`;
      if (!retryable(outcome)) break;
      if (attempt < attempts)
        this.o.log(send.agent, 'info', `[caxton] mtp: post ${attempt} of message ${send.messageId} to ${names} failed (${last}); retrying`);
    }
    return this.failed(
      send,
      `message ${send.messageId} could not be delivered to ${names} over the FIPA HTTP MTP: ${last}`,
      'mtp-delivery',
      url,
    );
  }
}

/**
 * The error code of a refusal a Caxton peer's ACC answered (`{"code":"mtp.signature-refused",…}`),
 * so the sender's failure says why (a key the peer does not list, decision 2188). The peer's text:
 * read only from a small body, and kept only when it is a plain code.
 */
function refusalCode(status: number, body: Buffer): string | undefined {
  if (status < 400 || body.length > 4096) return undefined;
  try {
    const code = (JSON.parse(body.toString('utf8')) as { code?: unknown } | null)?.code;
    return typeof code === 'string' && /^[a-z][a-z0-9.-]{0,63}$/.test(code) ? code : undefined;
  } catch {
    return undefined;
  }
}

function postKey(agent: string, messageId: string, url: string): string {
  return `${agent}\u0000${messageId}\u0000${url}`;
}
