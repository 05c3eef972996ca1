/**
 * `/api/stream`: every open stream is one subscription to the node's tail (which listens to the bus
 * only while someone is subscribed, and filters at the source). Messages pass a per-client budget
 * (Sampler) before they are even converted, so a burst costs each client at most `budget`
 * conversions a second; beyond it the client gets `sampled` notices. One shared timer, running only
 * while streams are open, closes sampling windows and sends `agents` and `node` every 2 s and a
 * `: ping` every 15 s.
 */
import type { ServerResponse } from 'node:http';
import {
  formatStreamEvent,
  type AgentsResponse,
  type ConsoleMessageFilter,
  type NodeControl,
  type NodeStats,
  type SampledNotice,
  type Unsubscribe,
} from '@caxton/core';
import { ConsoleError } from './errors.js';
import { protocolMatches, tailFilter } from './query.js';
import { Sampler } from './sampler.js';
import { SseClient } from './sse-client.js';
import { sniffed } from './views.js';
import { protocolStateOf, type ConversationLookup } from './protocol-state.js';

export interface LiveStreamOptions {
  /** Messages per client per window before sampling starts. */
  budget: number;
  windowMs: number;
  maxClients: number;
  /** Events a slow client may have queued before more are dropped. */
  maxQueued: number;
  periodicMs: number;
  pingMs: number;
}

export const LIVE_STREAM_DEFAULTS: LiveStreamOptions = {
  budget: 50,
  windowMs: 1000,
  maxClients: 32,
  maxQueued: 256,
  periodicMs: 2000,
  pingMs: 15_000,
};

interface Stream {
  client: SseClient;
  sampler: Sampler;
  unsubscribe: Unsubscribe;
}

export class LiveStreams {
  private readonly streams = new Set<Stream>();
  private timer: NodeJS.Timeout | undefined;
  private lastPeriodic = 0;
  private lastPing = 0;

  constructor(
    private readonly control: NodeControl,
    private readonly periodic: () => Promise<{ agents: AgentsResponse; node: NodeStats }>,
    private readonly options: LiveStreamOptions,
    /** The node's conversation tracker, for each shown message's protocol state. */
    private readonly conversations?: ConversationLookup,
  ) {}

  get open(): number {
    return this.streams.size;
  }

  /** Start streaming to `res`; throws a typed refusal when the cap is reached (nothing written yet). */
  start(res: ServerResponse, filter: ConsoleMessageFilter): void {
    if (this.streams.size >= this.options.maxClients) {
      throw new ConsoleError(
        'console.too-many-streams',
        `this node already serves ${this.options.maxClients} live streams`,
        'close another console tab, or retry in a moment',
        { limit: this.options.maxClients },
      );
    }
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
    res.flushHeaders();
    const client = new SseClient(res, this.options.maxQueued);
    const sampler = new Sampler(this.options.budget, this.options.windowMs, Date.now());
    const stream: Stream = { client, sampler, unsubscribe: () => {} };
    this.streams.add(stream);
    stream.unsubscribe = this.control.tail(tailFilter(filter), {
      next: (event) => {
        if (!protocolMatches(filter, event)) return;
        const verdict = sampler.offer(Date.now());
        if (verdict.notice) this.notify(stream, verdict.notice);
        if (!verdict.send) return;
        const state = this.conversations ? protocolStateOf(this.conversations, event.message) : undefined;
        client.write(formatStreamEvent({ kind: 'message', data: sniffed(event.messageId, event.acceptedAt, event.message, state) }));
      },
      end: () => this.stop(stream),
    });
    res.on('close', () => this.stop(stream));
    client.write(': connected\n\n');
    void this.sendPeriodic([stream]);
    this.ensureTimer();
  }

  private notify(stream: Stream, notice: SampledNotice | undefined): void {
    const queueDrops = stream.client.unreportedDrops;
    if (!notice && queueDrops === 0) return;
    stream.client.unreportedDrops = 0;
    const data = notice
      ? { ...notice, dropped: notice.dropped + queueDrops }
      : { shown: 0, dropped: queueDrops, windowMs: this.options.windowMs };
    stream.client.write(formatStreamEvent({ kind: 'sampled', data }));
  }

  private stop(stream: Stream): void {
    if (!this.streams.delete(stream)) return;
    stream.unsubscribe();
    stream.client.close();
    if (this.streams.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private ensureTimer(): void {
    if (this.timer) return;
    const now = Date.now();
    this.lastPeriodic = now;
    this.lastPing = now;
    this.timer = setInterval(() => this.tick(), Math.min(this.options.windowMs, this.options.periodicMs, 1000));
    this.timer.unref();
  }

  private tick(): void {
    const now = Date.now();
    for (const stream of this.streams) this.notify(stream, stream.sampler.roll(now));
    if (now - this.lastPing >= this.options.pingMs) {
      this.lastPing = now;
      for (const stream of this.streams) stream.client.write(': ping\n\n');
    }
    if (now - this.lastPeriodic >= this.options.periodicMs) {
      this.lastPeriodic = now;
      void this.sendPeriodic([...this.streams]);
    }
  }

  private async sendPeriodic(targets: Stream[]): Promise<void> {
    let data: { agents: AgentsResponse; node: NodeStats };
    try {
      data = await this.periodic();
    } catch {
      return; // the next tick tries again; the stream itself stays up
    }
    const agents = formatStreamEvent({ kind: 'agents', data: data.agents });
    const node = formatStreamEvent({ kind: 'node', data: data.node });
    for (const stream of targets) {
      stream.client.write(agents);
      stream.client.write(node);
    }
  }

  closeAll(): void {
    for (const stream of [...this.streams]) this.stop(stream);
  }
}
