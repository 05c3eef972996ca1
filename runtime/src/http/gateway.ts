/**
 * The node's outbound HTTP gateway (decision 1601): takes the calls of completed handlings, runs
 * them (per-agent in-flight cap and queue), sends each answer into the bus from `http@<platform>`
 * with an id derived from the call id, then removes the call's pending record. When an agent is
 * activated here it answers `interrupted` for every record it does not have in flight (the node
 * that ran the call stopped). The agent holds no shard meanwhile: its calls are just effects.
 * The kill switch holds calls too (decision 1710): while the node is frozen or the agent suspended
 * nothing of the agent's leaves; a call cut on the network by the hold is answered `interrupted`
 * if it may have reached the service, and sent on release if it provably did not.
 */
import type { AclMessage, AgentId, HttpCall, HttpCallEvent, HttpPolicy, StateWrite } from '@caxton/core';
import { Instrumentation, readA2aAnswer } from '@caxton/core';
import type { AgentStateStore } from '../storage/ports.js';
import { derivedMessageId } from '../bus/ids.js';
import { AgentCallQueue } from './agent-call-queue.js';
import { a2aAnswerMessage, failureAnswer, responseAnswer, type AnswerAddressing } from './answer-message.js';
import { HttpCallFailure } from './call-failure.js';
import type { Resolver } from './checked-resolve.js';
import { ConnectionPools } from './connection-pools.js';
import { EgressGate, type EgressHold } from './egress-hold.js';
import { HttpMetrics } from './http-metrics.js';
import { performHttpCall, type HttpResponseData } from './outbound-client.js';
import { callIdOfKey, clearPendingCall, parsePendingCall, pendingCallsIn, type PendingCallRecord } from './pending-calls.js';
import { sanitizeRequestHeaders } from './request-headers.js';

/** A call as it leaves (the tail shows it like a message to `http@<platform>`). */
export interface HttpRequestEvent {
  type: 'http-request';
  agent: string;
  callId: string;
  method: string;
  url: string;
  conversationId?: string;
  context?: string;
}

export type HttpGatewayEvent = HttpCallEvent | HttpRequestEvent;

export interface HttpGatewayOptions {
  platform: string;
  /** Send an answer into the bus (as `http@<platform>`); resolves once it is durable. */
  send: (message: AclMessage, messageId: string) => Promise<void>;
  /** The agent's current policy (from its deployment record); undefined: it may call nothing. */
  policyOf: (agent: string) => HttpPolicy | undefined;
  /** Where pending-call records live. Without one, records are neither removed nor recovered. */
  state?: AgentStateStore | undefined;
  /** A line for the agent's log (dropped headers, an answer that could not be delivered). */
  log: (agent: string, level: 'info' | 'warn' | 'error', message: string) => void;
  resolve?: Resolver;
  /** The kill switch: while it holds an agent, none of that agent's calls leaves (decision 1710). */
  hold?: EgressHold;
  /** How long to keep retrying an answer the bus refuses (a full mailbox). */
  deliveryPatienceMs?: number;
  now?: () => number;
}

export class HttpGateway {
  readonly events = new Instrumentation<HttpGatewayEvent>();
  private readonly queue = new AgentCallQueue();
  private readonly pools = new ConnectionPools();
  private readonly metrics = new HttpMetrics();
  /** `<agent>\0<call id>` of calls admitted and not yet answered. */
  private readonly inFlight = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  private closed = false;
  private readonly now: () => number;
  private readonly gate: EgressGate;

  constructor(private readonly o: HttpGatewayOptions) {
    this.now = o.now ?? Date.now;
    this.gate = new EgressGate(o.hold);
  }

  get sender(): AgentId {
    return { name: `http@${this.o.platform}` };
  }

  /**
   * Start the calls of a completed handling. Returns at once: the answers come later, as messages.
   * `stateWrites` carries the calls' pending records (their conversation and context).
   */
  apply(result: { agent: string; http: readonly HttpCall[]; stateWrites: readonly StateWrite[] }): void {
    if (result.http.length === 0 || this.closed) return;
    const records = pendingCallsIn(result.stateWrites);
    for (const call of result.http) {
      const r = records.get(call.id);
      const record: PendingCallRecord = { method: call.request.method, url: call.request.url, at: r?.at ?? this.now() };
      const context = call.request.context ?? r?.context;
      if (context !== undefined) record.context = context;
      if (r?.conversationId !== undefined) record.conversationId = r.conversationId;
      const a2a = call.request.a2a ?? r?.a2a;
      if (a2a !== undefined) record.a2a = a2a;
      this.start(result.agent, call, record);
    }
  }

  /**
   * The agent was activated on this node (start, restart, failover): every pending record not in
   * flight here belongs to a call whose node stopped; it is answered `interrupted`, never re-sent.
   */
  async recover(agent: string): Promise<number> {
    if (this.o.state === undefined || this.closed) return 0;
    const entries = await this.o.state.readState(agent);
    let answered = 0;
    for (const [key, value] of entries) {
      const callId = callIdOfKey(key);
      if (callId === undefined || this.inFlight.has(flightKey(agent, callId))) continue;
      const record = parsePendingCall(value);
      const started = this.now();
      await this.finish(agent, callId, record, started, {
        failure: new HttpCallFailure(
          'interrupted',
          `the node stopped while ${record.method} ${record.url.slice(0, 200)} was in flight; it was not repeated`,
        ),
      });
      answered += 1;
    }
    return answered;
  }

  /** Calls admitted and not answered yet (for tests and status). */
  pending(agent: string): number {
    let n = 0;
    for (const k of this.inFlight) if (k.startsWith(`${agent}\u0000`)) n += 1;
    return n;
  }

  /**
   * Stop: no new calls; calls still on the network are cut and NOT answered (their records stay,
   * so the agent's next activation answers them `interrupted`).
   */
  async close(): Promise<void> {
    this.closed = true;
    this.gate.close(); // held calls stop waiting and return unanswered: their records stay
    this.pools.close();
    await Promise.allSettled([...this.running]);
  }

  private start(agent: string, call: HttpCall, record: PendingCallRecord): void {
    const key = flightKey(agent, call.id);
    if (this.inFlight.has(key)) return; // the same call applied twice (a re-handled delivery): one request
    this.inFlight.add(key);
    if (this.events.wants('http-request')) {
      this.events.emit({
        type: 'http-request',
        agent,
        callId: call.id,
        method: call.request.method,
        url: call.request.url,
        ...(record.conversationId !== undefined ? { conversationId: record.conversationId } : {}),
        ...(record.context !== undefined ? { context: record.context } : {}),
      });
    }
    const policy = this.o.policyOf(agent);
    const admitted = this.queue.admit(agent, policy?.maxInFlight ?? 1, (done) => {
      const run = this.run(agent, call, record, policy)
        .catch((err: unknown) => this.unexpected(agent, call.id, err))
        .finally(() => {
          this.running.delete(run);
          done();
        });
      this.running.add(run);
    });
    if (admitted === 'refused') {
      const max = policy?.maxInFlight ?? 1;
      this.track(
        this.finish(agent, call.id, record, this.now(), {
          failure: new HttpCallFailure(
            'quota-exceeded',
            `${agent} has ${max} calls in flight and ${max * 4} waiting; this one was not sent`,
          ),
        }),
      );
    }
  }

  private track(p: Promise<void>): void {
    const tracked = p.catch((err: unknown) => this.o.log('?', 'error', `[caxton] http gateway: ${(err as Error).message}`));
    this.running.add(tracked);
    void tracked.finally(() => this.running.delete(tracked));
  }

  /**
   * A call's run failed in a way no rule foresaw: logged, never an unhandled rejection that would
   * end the node. Its record stays, so the agent's next activation answers it `interrupted`.
   */
  private unexpected(agent: string, callId: string, err: unknown): void {
    this.o.log(agent, 'error', `[caxton] http call ${callId}: not answered: ${(err as Error)?.message ?? String(err)}`);
  }

  private async run(agent: string, call: HttpCall, record: PendingCallRecord, policy: HttpPolicy | undefined): Promise<void> {
    const started = this.now();
    if (policy === undefined) {
      await this.finish(agent, call.id, record, started, {
        failure: new HttpCallFailure('address-denied', `${agent}'s deployment allows no HTTP calls (any more)`),
      });
      return;
    }
    const { headers, dropped } = sanitizeRequestHeaders(call.request.headers);
    if (dropped.length > 0)
      this.o.log(agent, 'warn', `[caxton] http call ${call.id}: dropped request headers the node sets itself: ${dropped.join(', ')}`);
    for (;;) {
      // Held (frozen node, suspended agent): the call keeps its slot and waits; nothing resolves or connects.
      let waited = false;
      while (this.gate.isHeld(agent)) {
        waited = true;
        await this.gate.released(agent);
      }
      if (this.closed) return; // the record stays: the next activation answers it `interrupted`
      if (waited) {
        // The deployment may have changed while the call was held (an upgrade of a suspended agent).
        const now = this.o.policyOf(agent);
        if (now === undefined) {
          await this.finish(agent, call.id, record, started, {
            failure: new HttpCallFailure('address-denied', `${agent}'s deployment allows no HTTP calls (any more)`),
          });
          return;
        }
        policy = now;
      }
      const attempt = this.gate.attempt(agent);
      let reached = false;
      let outcome: { response: HttpResponseData } | { failure: HttpCallFailure };
      try {
        const response = await performHttpCall(
          policy,
          {
            method: call.request.method,
            url: call.request.url,
            headers,
            ...(call.request.body !== undefined ? { body: call.request.body } : {}),
            ...(call.request.timeoutMs !== undefined ? { timeoutMs: call.request.timeoutMs } : {}),
          },
          {
            pools: this.pools,
            signal: attempt.signal,
            onConnected: () => {
              reached = true;
            },
            ...(this.o.resolve ? { resolve: this.o.resolve } : {}),
          },
        );
        outcome = { response };
      } catch (err) {
        outcome = { failure: err instanceof HttpCallFailure ? err : new HttpCallFailure('protocol', (err as Error).message) };
      } finally {
        attempt.done();
      }
      if ('failure' in outcome && attempt.signal.aborted && !this.closed) {
        if (!reached) {
          // No connection was made: the service cannot have seen it, so sending it on release
          // repeats nothing (the pending record stays meanwhile, as for any call in flight).
          this.o.log(
            agent,
            'info',
            `[caxton] http call ${call.id}: held by the kill switch before it reached the service; it is sent when released`,
          );
          continue;
        }
        // It may have reached the service, which may have acted: as after a node stop, answered
        // `interrupted`, never repeated (decision 1601).
        outcome = {
          failure: new HttpCallFailure(
            'interrupted',
            `the node was frozen or ${agent} suspended while ${call.request.method} ${call.request.url.slice(0, 200)} was in flight; it was not repeated`,
          ),
        };
      }
      await this.finish(agent, call.id, record, started, outcome);
      return;
    }
  }

  /** Send the answer (durably), then drop the record; report the call. */
  private async finish(agent: string, callId: string, record: PendingCallRecord, started: number, outcome: CallOutcome): Promise<void> {
    const key = flightKey(agent, callId);
    try {
      if (this.closed) return; // the record stays: the next activation answers it `interrupted`
      const addressing: AnswerAddressing = {
        from: this.sender,
        to: { name: `${agent}@${this.o.platform}` },
        callId,
        ...(record.conversationId !== undefined ? { conversationId: record.conversationId } : {}),
        ...(record.context !== undefined ? { context: record.context } : {}),
      };
      const message = answerOf(addressing, record, outcome);
      // Derived from the call alone: an answer sent twice (a crash before the record was removed,
      // then `interrupted` at recovery) has one id, and the bus drops the second.
      let sent = await this.deliver(agent, message, answerMessageId(agent, callId));
      if (sent === 'invalid' && record.a2a !== undefined) {
        // The host read this A2A answer into a message the bus refuses: the agent gets a typed
        // failure instead of nothing (decision 2193).
        const status = 'response' in outcome ? outcome.response.status : undefined;
        const failure = { kind: 'malformed' as const, reason: 'the answer could not be passed on as a message' };
        sent = await this.deliver(agent, a2aAnswerMessage(addressing, { ok: false, failure }, status), answerMessageId(agent, callId));
      }
      if (sent === 'delivered' && this.o.state !== undefined) {
        await this.o.state.commitState(agent, [clearPendingCall(callId)]).catch((err: unknown) => {
          this.o.log(
            agent,
            'warn',
            `[caxton] http call ${callId}: answered, but its pending record could not be removed (${(err as Error).message}); a restart may answer it again, with the same message id`,
          );
        });
      }
      const event: HttpCallEvent = {
        type: 'http-call',
        agent,
        callId,
        method: record.method,
        host: hostOf(record.url),
        durationMs: this.now() - started,
        bytes: 'response' in outcome ? outcome.response.body.length : 0,
        ...('response' in outcome ? { status: outcome.response.status } : { failure: outcome.failure.failure }),
      };
      this.metrics.record(event);
      if (this.events.wants('http-call')) this.events.emit(event);
    } finally {
      this.inFlight.delete(key);
    }
  }

  /**
   * `delivered` once the answer is durable on the bus; retries while the bus refuses it (a full
   * mailbox); `invalid` when the bus refuses the message itself, `undelivered` for any other end.
   */
  private async deliver(agent: string, message: AclMessage, messageId: string): Promise<'delivered' | 'invalid' | 'undelivered'> {
    const patience = this.o.deliveryPatienceMs ?? 120_000;
    const giveUpAt = this.now() + patience;
    for (let wait = 250; ; wait = Math.min(wait * 2, 5000)) {
      try {
        await this.o.send(message, messageId);
        return 'delivered';
      } catch (err) {
        const code = (err as { code?: string }).code ?? '';
        if (this.closed || FINAL_SEND_ERRORS.has(code) || code.startsWith('acl.') || this.now() + wait > giveUpAt) {
          this.o.log(
            agent,
            'warn',
            `[caxton] the answer to http call ${message.inReplyTo ?? '?'} could not be delivered: ${(err as Error).message}`,
          );
          return code.startsWith('acl.') || code === 'bus.invalid-send' ? 'invalid' : 'undelivered';
        }
        await new Promise((r) => setTimeout(r, wait).unref());
      }
    }
  }
}

type CallOutcome = { response: { status: number; headers: [string, string][]; body: Buffer } } | { failure: HttpCallFailure };

/** The message the agent gets: the HTTP answer as it is, or an A2A call's read by the host (decision 2193). */
function answerOf(addressing: AnswerAddressing, record: PendingCallRecord, outcome: CallOutcome): AclMessage {
  if (record.a2a !== undefined) {
    const answer = readA2aAnswer(
      record.a2a,
      'response' in outcome ? outcome.response : { failure: outcome.failure.failure, reason: outcome.failure.message },
    );
    return a2aAnswerMessage(addressing, answer, 'response' in outcome ? outcome.response.status : undefined);
  }
  return 'response' in outcome
    ? responseAnswer(addressing, outcome.response.status, outcome.response.headers, outcome.response.body)
    : failureAnswer(addressing, outcome.failure.failure, outcome.failure.message);
}

/** Refusals a retry cannot change (the agent is gone, the answer is malformed). */
const FINAL_SEND_ERRORS: ReadonlySet<string> = new Set(['bus.unknown-receiver', 'bus.invalid-send']);

export function answerMessageId(agent: string, callId: string): string {
  return derivedMessageId(`http:${agent}:${callId}`, 0);
}

function flightKey(agent: string, callId: string): string {
  return `${agent}\u0000${callId}`;
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return '?';
  }
}
