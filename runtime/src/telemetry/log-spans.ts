/**
 * Spans of the message log (decision 1301): one per log append (an embedded group commit, a Kafka
 * produce request) and one per batch a node consumes from Kafka. An append or a batch carries many
 * messages of many conversations, so these spans are not children of one message: a consumed
 * batch links to the context of every message in it (OpenTelemetry's messaging conventions), so a
 * trace that crosses nodes shows where its message waited in Kafka; the handle span on the
 * receiving node stays the child of the sender's span through the message's X-traceparent.
 *
 * Callers ask `tracerRegistered()` first: without a TracerProvider nothing here runs.
 */
import { SpanKind, trace, type Link } from '@opentelemetry/api';
import type { Delivery } from '@caxton/core';
import { carriesTraceContext, extractMessageContext, tracer } from './trace-context.js';

/** A span for a log append that already happened (its timing measured by the log). */
export function recordAppendSpan(log: 'embedded' | 'kafka', records: number, bytes: number | undefined, seconds: number): void {
  const end = Date.now();
  const span = tracer.startSpan(log === 'kafka' ? 'kafka produce' : 'log append', {
    kind: log === 'kafka' ? SpanKind.PRODUCER : SpanKind.INTERNAL,
    startTime: end - seconds * 1000,
    attributes: {
      'caxton.log': log,
      'caxton.records': records,
      ...(bytes === undefined ? {} : { 'caxton.bytes': bytes }),
      ...(log === 'kafka' ? { 'messaging.system': 'kafka', 'messaging.operation.type': 'send' } : {}),
    },
  });
  span.end(end);
}

/** A span for one batch of deliveries consumed from a Kafka partition, linked to their messages. */
export function recordConsumeSpan(topic: string, partition: number, deliveries: readonly Delivery[], lag: number | undefined): void {
  const links: Link[] = [];
  for (const d of deliveries) {
    if (!carriesTraceContext(d.message)) continue;
    const sc = trace.getSpanContext(extractMessageContext(d.message));
    if (sc !== undefined) links.push({ context: sc, attributes: { 'caxton.message_id': d.messageId } });
  }
  const span = tracer.startSpan(`kafka consume ${topic}`, {
    kind: SpanKind.CONSUMER,
    links,
    attributes: {
      'messaging.system': 'kafka',
      'messaging.operation.type': 'receive',
      'messaging.destination.name': topic,
      'messaging.destination.partition.id': String(partition),
      'messaging.batch.message_count': deliveries.length,
      ...(lag === undefined ? {} : { 'caxton.consumer_lag': lag }),
    },
  });
  span.end();
}
