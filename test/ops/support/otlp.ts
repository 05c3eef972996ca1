/** Reading OTLP/JSON (what the collector's file exporter writes): attributes as a plain object, spans of one trace. */
type AnyValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
type KeyValue = { key: string; value: AnyValue };

export interface FoundSpan {
  resource: Record<string, unknown>;
  scope: Record<string, unknown>;
  span: Record<string, unknown>;
}

/** `{ attributes: [{ key, value: { stringValue } }] }` → `{ key: 'value' }` (every scalar as a string). */
export function attrsOf(holder: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of (holder['attributes'] ?? []) as KeyValue[]) {
    const v = kv.value;
    out[kv.key] = String(v.stringValue ?? v.intValue ?? v.boolValue ?? v.doubleValue ?? '');
  }
  return out;
}

export function spansOfTrace(spans: FoundSpan[], traceId: string): FoundSpan[] {
  return spans.filter((s) => s.span['traceId'] === traceId);
}

/** The spans of the trace that holds a conversation's `send request` span (the operator's send); [] before it is exported. */
export function conversationTrace(spans: FoundSpan[], conversationId: string): FoundSpan[] {
  const send = spans.find((s) => s.span['name'] === 'send request' && attrsOf(s.span)['caxton.conversation_id'] === conversationId);
  return send === undefined ? [] : spansOfTrace(spans, send.span['traceId'] as string);
}

/** What the collector side of a trace wait needs: its exports, waited for and read (scripts/infra's handle). */
interface TraceSource<E> {
  waitFor(signal: 'traces', predicate: (exports: E[]) => boolean, opts?: { timeoutMs?: number }): Promise<E[]>;
  readTraces(): Promise<E[]>;
}

/**
 * Waits until a conversation's trace holds at least `least[name]` spans of each name, and returns
 * the trace. Spans are exported as they end, and each node on its own timer, so a span later in a
 * conversation can arrive before an earlier one: a test waits for every span it reads. At least, so
 * a wait never outlasts what the assertions would report at once; a wait that times out says what
 * the trace held (`handle cfp ×3, …`), not only that it timed out.
 */
export async function waitForConversationTrace<E>(
  col: TraceSource<E>,
  otlpSpans: (exports: E[]) => unknown[],
  conversationId: string,
  least: Readonly<Record<string, number>>,
  timeoutMs = 60_000,
): Promise<FoundSpan[]> {
  const traceIn = (exports: E[]): FoundSpan[] => conversationTrace(otlpSpans(exports) as FoundSpan[], conversationId);
  const count = (trace: FoundSpan[], name: string): number => trace.filter((s) => s.span['name'] === name).length;
  const complete = (trace: FoundSpan[]): boolean => Object.entries(least).every(([name, n]) => count(trace, name) >= n);
  try {
    return traceIn(await col.waitFor('traces', (exports) => complete(traceIn(exports)), { timeoutMs }));
  } catch (e) {
    const trace = traceIn(await col.readTraces());
    const held = [...new Set(trace.map((s) => s.span['name'] as string))].map((n) => `${n} ×${count(trace, n)}`);
    throw new Error(`conversation ${conversationId}: its spans never all arrived; its trace held ${held.join(', ') || 'nothing'}`, {
      cause: e,
    });
  }
}
