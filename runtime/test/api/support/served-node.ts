/**
 * A real node as the API tests drive it, like an operator: embedded log, token auth, the gRPC API
 * on a free loopback port, an admin client, and a tail of what the node accepts, kept in `replies`
 * in the order it accepted them (by default what agents send the operator, i.e. their answers).
 * With `metrics`, the node's Prometheus endpoint is on a free loopback port too and `scrape()`
 * reads it. The data directory is a fresh temporary one, removed by `stop()`; `restart()` starts
 * the node again on it, the new client's tail adding to the same `replies`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { MessageEvent, TailFilter } from '@caxton/core';
import { CaxtonClient } from '@caxton/client';
import { startNode, type RunningNode } from '../../../src/start/start-node.js';
import type { StartNodeOptions } from '../../../src/start/options.js';
import { readTokenFile, tokenFilePath } from '../../../src/api/auth.js';
import { parseTelemetryConfig } from '../../../src/telemetry/config.js';
import { TEST_ENGINE_CACHE } from '../../support/engine-cache.js';
import { eventually } from './harness.js';

export interface ServedNodeOptions extends Omit<StartNodeOptions, 'dataDir' | 'apiHost' | 'apiPort' | 'auth' | 'telemetry'> {
  /** Serve the node's metrics on a free loopback port, for `scrape()`. */
  metrics?: boolean;
  /** What the tail asks for and which of its events `replies` keeps; default: every message to the operator. */
  tail?: { filter: TailFilter; keep(e: MessageEvent): boolean };
}

export interface ServedNode {
  readonly dir: string;
  /** The running node, its admin client and the API's address (host:port); the client is a new one after `restart()`. */
  readonly node: RunningNode;
  readonly client: CaxtonClient;
  readonly address: string;
  readonly replies: MessageEvent[];
  /** The text of the node's Prometheus endpoint (started with `metrics`). */
  scrape(): Promise<string>;
  /** Stops the node and starts it again on the same data directory. */
  restart(): Promise<void>;
  /** Stops the tail, the client and the node, and removes the data directory. */
  stop(): Promise<void>;
}

const toTheOperator = { filter: {}, keep: (e: MessageEvent): boolean => e.message.receivers.some((r) => r.name.startsWith('operator@')) };

interface Running {
  node: RunningNode;
  client: CaxtonClient;
  tail: { cancel(): void };
}

async function serve(dir: string, options: ServedNodeOptions, replies: MessageEvent[]): Promise<Running> {
  const { metrics, tail: tailed = toTheOperator, prepare, ...rest } = options;
  const node = await startNode({
    ...rest,
    prepare: { cacheDir: TEST_ENGINE_CACHE, ...prepare },
    dataDir: dir,
    apiHost: '127.0.0.1',
    apiPort: 0,
    auth: { mode: 'token' },
    ...(metrics ? { telemetry: parseTelemetryConfig({ metricsAddr: '127.0.0.1:0' }, {}) } : {}),
  });
  let client: CaxtonClient | undefined;
  try {
    client = await CaxtonClient.connect({ address: `127.0.0.1:${node.apiPort}`, token: await readTokenFile(tokenFilePath(dir)) });
    const tail = client.tail(tailed.filter, (e) => {
      if (tailed.keep(e)) replies.push(e);
    });
    await tail.ready;
    return { node, client, tail };
  } catch (err) {
    client?.close();
    await node.stop();
    throw err;
  }
}

async function halt(r: Running): Promise<void> {
  r.tail.cancel();
  r.client.close();
  await r.node.stop();
}

/** Starts a node as above in a new temporary directory named after `prefix` (`caxton-<test>-`). */
export async function startServedNode(prefix: string, options: ServedNodeOptions = {}): Promise<ServedNode> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  const replies: MessageEvent[] = [];
  let running: Running;
  try {
    running = await serve(dir, options, replies);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    dir,
    replies,
    get node() {
      return running.node;
    },
    get client() {
      return running.client;
    },
    get address() {
      return `127.0.0.1:${running.node.apiPort}`;
    },
    async scrape() {
      const at = running.node.telemetry?.prometheusAddress;
      if (at === undefined) throw new Error('this node serves no metrics: start it with { metrics: true }');
      return (await fetch(`http://${at}/metrics`)).text();
    },
    async restart() {
      await halt(running);
      running = await serve(dir, options, replies);
    },
    async stop() {
      try {
        await halt(running);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * `ask(agent, conversation, content)` on `served`: sends a request in the conversation and returns
 * the content of the agent's answer in it (answers are matched by conversation, so several
 * conversations may be asked side by side; each answer is returned once). Through the node's
 * client of the moment, so it goes on working across `restart()`.
 */
export function asker(
  served: Pick<ServedNode, 'client' | 'replies'>,
): (agent: string, conversation: string, content: string, inReplyTo?: string) => Promise<string> {
  const used = new Set<MessageEvent>();
  return async (agent, conversation, content, inReplyTo) => {
    const seen = (): MessageEvent | undefined =>
      served.replies.find(
        (e) => e.message.conversationId === conversation && e.message.sender?.name.startsWith(`${agent}@`) && !used.has(e),
      );
    await served.client.send({
      structured: {
        performative: 'request',
        receivers: [{ name: agent }],
        content,
        conversationId: conversation,
        ...(inReplyTo ? { inReplyTo } : {}),
      },
    });
    await eventually(() => seen() !== undefined, `an answer from ${agent} in ${conversation}`, 15_000);
    const e = seen()!;
    used.add(e);
    return e.message.content ?? '';
  };
}
