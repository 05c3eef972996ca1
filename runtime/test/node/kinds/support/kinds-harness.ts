/**
 * AgentKinds driven through its ports (decision 1980): mailboxes (`mail`) and activations the test
 * controls, records made in place, and a wait for a condition. Shared by the kinds' bound tests.
 */
import assert from 'node:assert/strict';
import { Instrumentation } from '@caxton/core';
import { AgentKinds, type AgentKindsOptions } from '../../../../src/node/kinds/index.js';
import type { AgentRecord } from '../../../../src/storage/records.js';

type Ports = Omit<AgentKindsOptions, 'local'> & { local: { startInstance: (r: AgentRecord) => Promise<void> } };

/** AgentKinds over ports whose mailboxes (`mail`) and activations the test drives. */
export function kinds(extra: Partial<Ports> & { startInstance?: (r: AgentRecord) => Promise<void> } = {}) {
  const mail = new Map<string, number>();
  const started: string[] = [];
  /** Names whose mail the kinds dead-lettered. */
  const deadLettered: string[] = [];
  const o: Ports = {
    local: {
      startInstance:
        extra.startInstance ??
        (async (r) => {
          started.push(r.name);
        }),
    },
    host: { shardCount: 1, stop: async () => {}, stats: async () => ({ state: 'running' }) } as unknown as AgentKindsOptions['host'],
    messaging: {
      mailboxDepth: (n: string) => mail.get(n) ?? 0,
      wake() {},
      idle: () => new Promise<void>((r) => setTimeout(r, 2)),
      forget: () => [],
      replaced() {},
      breaker: () => undefined,
      agentId: (n: string) => n,
      deadLetter: async (letter: { delivery?: { receiver?: string } }) => {
        deadLettered.push(letter.delivery?.receiver ?? '?');
      },
    } as unknown as AgentKindsOptions['messaging'],
    store: undefined,
    events: new Instrumentation(),
    held: () => false,
    untilRunnable: async () => {},
    onDropped: async () => {},
    ...extra,
  };
  return { k: new AgentKinds(o as unknown as AgentKindsOptions), mail, started, deadLettered };
}

export const record = (name: string, kind: AgentRecord['kind']): AgentRecord =>
  ({
    name,
    artifactDigest: 'x'.repeat(64),
    limits: {},
    config: {},
    version: 1,
    createdAt: 0,
    updatedAt: 0,
    kind,
  }) as unknown as AgentRecord;

/** Instances of `kind` activating or passivating (the test reads the registry's internals: no API exposes transitions). */
export function inFlight(k: AgentKinds, kind: string): number {
  const instances = (k as unknown as { t: { kinds: Map<string, { instances: Map<string, { state: string }> }> } }).t.kinds.get(
    kind,
  )?.instances;
  let n = 0;
  for (const i of instances?.values() ?? []) if (i.state === 'activating' || i.state === 'passivating') n += 1;
  return n;
}

export async function until(what: string, probe: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
