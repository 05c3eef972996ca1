/**
 * An outside send builds no span when `sendIsTraced` says nothing would come of it (node-control's
 * sendNow): no tracer registered, no X-traceparent in the message, no span active. Those are exactly
 * the sends the span path stamps nothing into; a message that carries a context, or any send once
 * a tracer is registered, takes the span path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { propagation, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { TRACEPARENT_PARAM, type AclMessage } from '@caxton/core';
import { injectMessageContext, sendIsTraced, startSendSpan } from '../../src/telemetry/trace-context.js';
import { NodeW3CPropagator } from '../../src/telemetry/w3c-context.js';

const plain = (): AclMessage => ({ performative: 'request', receivers: [{ name: 'x' }], content: 'hi' });
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

/** What the span path does to a message: its span's context stamped into it. */
function throughSpanPath(msg: AclMessage): AclMessage {
  const { span, ctx } = startSendSpan(msg, 'api');
  injectMessageContext(msg, ctx);
  span.end();
  return msg;
}

test('a send is left spanless only where the span path would stamp nothing', () => {
  trace.disable();
  propagation.setGlobalPropagator(new NodeW3CPropagator());
  try {
    // No tracer, no context: skipped, and the span path leaves the message as it was.
    assert.equal(sendIsTraced(plain()), false);
    assert.deepEqual(throughSpanPath(plain()), plain());

    // A context to continue: the span path, which carries it on.
    const carried = { ...plain(), userParams: { [TRACEPARENT_PARAM]: TRACEPARENT } };
    assert.equal(sendIsTraced(carried), true);
    assert.match(throughSpanPath(carried).userParams?.[TRACEPARENT_PARAM] ?? '', /^00-0af7651916cd43dd8448eb211c80319c-/);

    // A tracer registered (also one registered after the first sends): every send is spanned.
    const spans = new InMemorySpanExporter();
    trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] }));
    assert.equal(sendIsTraced(plain()), true);
    assert.ok(throughSpanPath(plain()).userParams?.[TRACEPARENT_PARAM] !== undefined);
    assert.deepEqual(
      spans.getFinishedSpans().map((s) => s.name),
      ['send request'],
    );
  } finally {
    trace.disable();
    propagation.disable();
  }
});
