/**
 * An in-process Caxton node for the bus tests: the real startNode (sandbox shards, bus, embedded
 * log, protocol tracker) on a fresh temporary data directory, with everything the bus reports
 * recorded in arrival order so tests can assert on the exact message flow.
 */
import { rm } from 'node:fs/promises';
import { startNode, type RunningNode } from '@caxton/runtime';
import type { StartNodeOptions, BusEvent } from '@caxton/runtime';
import type { AclMessage, AgentId } from '@caxton/core';

import { tempDirRemovedAtExit } from '../../support/temp-dir.js';
import { agentArtifact } from './artifacts.js';
import type { SendResult } from '@caxton/core';
import { TEST_ENGINE_CACHE } from '../../support/engine-cache.js';

export const PLATFORM = 'caxton';
export const AMS = `ams@${PLATFORM}`;
export const OPERATOR = `operator@${PLATFORM}`;

type EventOf<T extends BusEvent['type']> = Extract<BusEvent, { type: T }>;

/** An 'accepted' event with the time it was seen and its position among all accepted messages. */
export type Accepted = EventOf<'accepted'> & { seq: number; at: number };
export type Handled = EventOf<'handled'> & { at: number };

/** `echo@caxton` → `echo`; other platforms' names are kept whole. */
export function local(id: AgentId | string | undefined): string {
  const name = typeof id === 'string' ? id : (id?.name ?? '');
  return name.endsWith(`@${PLATFORM}`) ? name.slice(0, -PLATFORM.length - 1) : name;
}

export interface TestNodeOptions extends Partial<Omit<StartNodeOptions, 'dataDir'>> {
  /** Reuse a data directory (restart tests); default a fresh temporary one. */
  dataDir?: string;
}

export class TestNode {
  readonly accepted: Accepted[] = [];
  readonly handled: Handled[] = [];
  readonly completed = new Set<string>();
  readonly deadLettered: EventOf<'dead-lettered'>[] = [];
  readonly dropped: EventOf<'dropped'>[] = [];
  /** Messages addressed to clients outside the platform (the operator). */
  readonly external: (EventOf<'external'> & { at: number })[] = [];
  private readonly logLines = new Map<string, string[]>();
  private stopped = false;

  private constructor(
    readonly node: RunningNode,
    readonly dataDir: string,
    private readonly ownsDir: boolean,
  ) {
    node.events.on((e) => this.record(e));
  }

  static async start(options: TestNodeOptions = {}): Promise<TestNode> {
    const ownsDir = options.dataDir === undefined;
    const dataDir = options.dataDir ?? tempDirRemovedAtExit('caxton-bus-test-');
    // Prepared components go to the test tree's shared cache (test/support/engine-cache.ts).
    const prepare = { cacheDir: TEST_ENGINE_CACHE, ...options.prepare };
    const node = await startNode({ apiHost: '127.0.0.1', apiPort: 0, auth: { mode: 'none' }, api: false, ...options, prepare, dataDir });
    return new TestNode(node, dataDir, ownsDir);
  }

  get control(): RunningNode['control'] {
    return this.node.control;
  }

  async deploy(
    name: string,
    example: string,
    config: Record<string, string> = {},
    limits: { fuelPerMessage?: number; memoryPages?: number } = {},
  ): Promise<void> {
    await this.control.deploy({ name, config, limits }, await agentArtifact(example));
  }

  /** An operator send (speaks as operator@caxton unless the message names a sender). */
  send(message: AclMessage): Promise<SendResult> {
    return this.control.send(message);
  }

  /** A command for a conformance/puppet agent: it sends the message these fields describe. */
  puppet(agent: string, fields: Record<string, string | number>): Promise<SendResult> {
    const content = Object.entries(fields)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n');
    return this.send({ performative: 'request', receivers: [{ name: agent }], content, userParams: { 'X-puppet': 'do' } });
  }

  logs(agent: string): string[] {
    return this.logLines.get(agent) ?? [];
  }

  /** The agent's log as the node stores it (`caxton logs`), including the runtime's own lines. */
  storedLogs(agent: string): Promise<string[]> {
    return new Promise((resolve, reject) => {
      const lines: string[] = [];
      this.control.logs(
        { agent, follow: false },
        {
          next: (entry) => lines.push(entry.message),
          end: (err) => (err ? reject(err) : resolve(lines)),
        },
      );
    });
  }

  /** Messages accepted for `agent` (what its mailbox was given), in acceptance order. */
  deliveredTo(agent: string): Accepted[] {
    return this.accepted.filter((a) => a.receivers.includes(agent));
  }

  /** Polls `probe` until it returns something other than undefined/false, or fails after `timeoutMs`. */
  async waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 15_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = probe();
      if (value !== undefined && value !== false) return value;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Waits until nothing is accepted or handled for `quietMs` (the system has settled). */
  async settle(quietMs = 300, timeoutMs = 15_000): Promise<void> {
    let last = -1;
    let since = Date.now();
    await this.waitFor(
      'the bus to go quiet',
      () => {
        const n = this.accepted.length + this.handled.length;
        if (n !== last) {
          last = n;
          since = Date.now();
        }
        return Date.now() - since >= quietMs;
      },
      timeoutMs,
    );
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.node.stop();
  }

  /** Stop and delete the data directory (if this harness created it). */
  async dispose(): Promise<void> {
    await this.stop();
    if (this.ownsDir) await rm(this.dataDir, { recursive: true, force: true });
  }

  private record(e: BusEvent): void {
    const at = Date.now();
    switch (e.type) {
      case 'accepted':
        this.accepted.push({ ...e, seq: this.accepted.length, at });
        break;
      case 'handled':
        this.handled.push({ ...e, at });
        break;
      case 'completed':
        for (const id of e.deliveryIds) this.completed.add(id);
        break;
      case 'dead-lettered':
        this.deadLettered.push(e);
        break;
      case 'dropped':
        this.dropped.push(e);
        break;
      case 'external':
        this.external.push({ ...e, at });
        break;
      case 'log': {
        let lines = this.logLines.get(e.agent);
        if (lines === undefined) this.logLines.set(e.agent, (lines = []));
        lines.push(e.line.message);
        break;
      }
    }
  }
}
