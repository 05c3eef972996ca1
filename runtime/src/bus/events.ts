/**
 * What the bus tells the world (tail streams, logs, metrics): the bus's instance of the one
 * instrumentation emitter (core's `Instrumentation`, docs/decisions/1106-instrumentation.md).
 * Listeners must be cheap: they run on the hot path. A listener that throws is removed rather than
 * allowed to break routing.
 *
 * A listener may name the event types it wants; emitters ask `wants(type)` before building an
 * event, so an event nobody listens to costs nothing (e.g. 'accepted' when no tail is open: one
 * object and one array per message on the bus thread, profiled).
 */
import { Instrumentation, type AclMessage } from '@caxton/core';
import type { AgentLogLine, ExecutionOutcome } from './executor.js';
import type { BreakerTransition } from './circuit-breaker.js';

export type BusEvent =
  | { type: 'accepted'; messageId: string; message: AclMessage; receivers: string[]; refused: { receiver: string; reason: string }[] }
  | { type: 'external'; messageId: string; to: string; message: AclMessage }
  | {
      type: 'handled';
      agent: string;
      deliveryId: string;
      messageId: string;
      outcome: ExecutionOutcome;
      fuelUsed: number;
      attempt: number;
      durationUs?: number | undefined;
      /** The delivered message's conversation id, if it had one: its costs are that conversation's (decision 2184). */
      conversationId: string | undefined;
      /** What the handling cost beside fuel and time (decision 2184): see HandlingCosts. */
      messagesSent: number;
      bytesSent: number;
      stateBytesWritten: number;
      httpCalls: number;
    }
  /**
   * A timer of the agent was handled (decision 2101): what `handled` says of a delivery. Its own
   * type, so the listeners of `handled` (message metrics, breakers, redeliveries) stay about messages.
   */
  | {
      type: 'timer-handled';
      agent: string;
      timerId: string | undefined;
      outcome: ExecutionOutcome;
      fuelUsed: number;
      durationUs: number | undefined;
      messagesSent: number;
      bytesSent: number;
      stateBytesWritten: number;
      httpCalls: number;
    }
  /** Completion of these deliveries is durable: they will never be handed to their agent again. */
  | { type: 'completed'; deliveryIds: string[] }
  | { type: 'dead-lettered'; agent: string; deliveryId: string; reason: string; attempts: number }
  | { type: 'dropped'; message: AclMessage; reason: string }
  /** A circuit breaker changed state (decision 1921). */
  | ({ type: 'breaker' } & BreakerTransition)
  /** `trace`: the span of the handling that wrote the line, when it was traced (for --log-format json). */
  | { type: 'log'; agent: string; line: AgentLogLine; trace?: { traceId: string; spanId: string } | undefined }
  /**
   * An agent's state changes could not be committed (decision 1600): the log failed or refused
   * them. Nothing is applied: the work is not completed (a delivery stays pending in the log, a
   * timer stays persisted) and is handled again after a restart or rebalance.
   */
  | { type: 'state-not-committed'; agent: string; workId: string; code: string; message: string; hint: string };

export type BusEventType = BusEvent['type'];
export type BusListener = (event: BusEvent) => void;

/** Kept as a named class so the bus, the tail and tests keep their `new BusEvents()` / `on` / `wants` / `emit`. */
export class BusEvents extends Instrumentation<BusEvent> {}
