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
import type { StartNodeOptions, BusEventType, BusListener } from '@caxton/runtime';
import { artifact } from './lib-artifacts.js';

export class BenchNode {
  /** Deliveries handled with outcome ok, and not ok. */
  handledOk = 0;
  handledOther = 0;
  /** `dir`: the node's temporary data directory (its embedded log lives under it). */
  private constructor(readonly node: RunningNode, readonly dir: string) {
    // Only 'handled': like a node without an open tail, the bus then builds no 'accepted' events.
    node.events.on((e) => {
      if (e.type !== 'handled') return;
      if (e.outcome.status === 'ok') this.handledOk++;
      else this.handledOther++;
    }, ['handled']);
  }

  static async start(options: Partial<StartNodeOptions>): Promise<BenchNode> {
    const dir = mkdtempSync(join(tmpdir(), 'caxton-bench-bus-'));
    const node = await startNode({ dataDir: dir, apiHost: '127.0.0.1', apiPort: 0, auth: { mode: 'none' }, api: false, ...options });
    return new BenchNode(node, dir);
  }

  get control(): RunningNode['control'] {
    return this.node.control;
  }

  on(listener: BusListener, types?: BusEventType[]): () => void {
    return this.node.events.on(listener, types);
  }

  async deploy(name: string, example: string, config: Record<string, string> = {}): Promise<void> {
    await this.control.deploy({ name, config, limits: {} }, await artifact(example));
  }

  async stop(): Promise<void> {
    await this.node.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
