/**
 * A Caxton node for the bus benchmark: the real startNode (sandbox shards, bus, embedded log or
 * persistence off, protocol tracker) in this process, on a temporary data directory, with counters
 * fed by the bus's events. Agents are the repository's example and conformance agents, built by
 * lib-artifacts (`reuse`: unchanged sources are not rebuilt).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNode, type RunningNode } from '@caxton/runtime';
import type { AclMessage, AgentLimitsSpec, SendResult } from '@caxton/core';
import type { StartNodeOptions, BusEventType, BusListener } from '@caxton/runtime';
import { artifact } from './lib-artifacts.js';

export class BenchNode {
  /** Deliveries handled with outcome ok, and not ok. */
  handledOk = 0;
  handledOther = 0;
  /** `dir`: the node's temporary data directory (its embedded log lives under it). */
  private constructor(
    readonly node: RunningNode,
    readonly dir: string,
  ) {
    // Only 'handled': like a node without an open tail, the bus then builds no 'accepted' events.
    node.events.on(
      (e) => {
        if (e.type !== 'handled') return;
        if (e.outcome.status === 'ok') this.handledOk++;
        else this.handledOther++;
      },
      ['handled'],
    );
  }

  static async start(options: Partial<StartNodeOptions>): Promise<BenchNode> {
    const dir = mkdtempSync(join(tmpdir(), 'caxton-bench-bus-'));
    try {
      const node = await startNode({ dataDir: dir, apiHost: '127.0.0.1', apiPort: 0, auth: { mode: 'none' }, api: false, ...options });
      return new BenchNode(node, dir);
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  get control(): RunningNode['control'] {
    return this.node.control;
  }

  on(listener: BusListener, types?: BusEventType[]): () => void {
    return this.node.events.on(listener, types);
  }

  /**
   * Send as a well-behaved client does: refused `bus.overloaded` (the node's edge limit, decision
   * 1810 — e.g. starting chains on a node its first chains already saturate), wait the retry-after
   * the refusal names and send again. Any other refusal is thrown.
   */
  async sendRetrying(message: AclMessage): Promise<SendResult> {
    for (;;) {
      try {
        return await this.control.send(message);
      } catch (err) {
        const e = err as { code?: string; context?: { retryAfterMs?: unknown } };
        if (e.code !== 'bus.overloaded' || typeof e.context?.retryAfterMs !== 'number') throw err;
        await sleep(e.context.retryAfterMs);
      }
    }
  }

  /** `limits`: what an operator would set for this deployment (`caxton deploy --max-sends-per-s …`). */
  async deploy(name: string, example: string, config: Record<string, string> = {}, limits: Partial<AgentLimitsSpec> = {}): Promise<void> {
    await this.control.deploy({ name, config, limits }, await artifact(example));
  }

  /** Stops the node and removes its data dir, even when the stop fails (decision 2128). */
  async stop(): Promise<void> {
    try {
      await this.node.stop();
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
