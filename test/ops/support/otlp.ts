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
