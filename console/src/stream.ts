/**
 * The live feed: `/api/stream` read with fetch and a ReadableStream (EventSource cannot send an
 * Authorization header), parsed with the contract's SSE parser. Reconnects after a drop with a
 * growing pause, and stops for good on 401/403 (a bad token does not get better by retrying).
 */
import { parseStreamEvents, type ConsoleMessageFilter, type StreamEvent } from '@caxton/core';
import { ApiError, filterQuery } from './api.js';

export interface StreamHandlers {
  onEvent(event: StreamEvent): void;
  onStatus(status: 'connecting' | 'live' | 'retrying' | 'refused', detail?: string): void;
}

/** Open the stream; returns a function that closes it. */
export function openStream(token: string, filter: ConsoleMessageFilter, handlers: StreamHandlers): () => void {
  const abort = new AbortController();
  let retryMs = 500;
  const loop = async (): Promise<void> => {
    while (!abort.signal.aborted) {
      handlers.onStatus('connecting');
      try {
        const res = await fetch(`/api/stream${filterQuery(filter)}`, {
          headers: { authorization: `Bearer ${token}` },
          signal: abort.signal,
        });
        if (res.status === 401 || res.status === 403) {
          handlers.onStatus('refused', `HTTP ${res.status}`);
          return;
        }
        if (!res.ok || !res.body) throw new ApiError(res.status, `http.${res.status}`, `stream answered ${res.status}`);
        handlers.onStatus('live');
        retryMs = 500;
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          // Servers may send CRLF line ends; the parser splits on LF.
          buffer += value.replace(/\r\n/g, '\n');
          const { events, rest } = parseStreamEvents(buffer);
          buffer = rest;
          for (const e of events) handlers.onEvent(e);
        }
      } catch (e) {
        if (abort.signal.aborted) return;
        handlers.onStatus('retrying', e instanceof Error ? e.message : String(e));
      }
      if (abort.signal.aborted) return;
      await new Promise((r) => setTimeout(r, retryMs));
      retryMs = Math.min(retryMs * 2, 10_000);
    }
  };
  void loop();
  return () => abort.abort();
}
