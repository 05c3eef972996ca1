/**
 * Exactly-once state, checked from the probes' reports (examples/cluster/probe with state=1: each
 * report carries the durable count after its request). Asserts as it goes: the SIGKILL soak and the
 * kill-switch test both check it.
 */
import assert from 'node:assert/strict';
import type { Observation } from './journal.js';

/**
 * Each agent's durable counts over its distinct requests (the warm-up's included) are exactly
 * 1..N, and a request handled twice reported one count both times; returns N per agent.
 */
export function exactCounts(obs: readonly Observation[], agents: readonly string[]): Map<string, number> {
  const countsByKey = new Map<string, Set<number>>();
  for (const o of obs) {
    assert.ok(o.count !== undefined, `${o.key} carries no durable count`);
    const seen = countsByKey.get(o.key) ?? new Set<number>();
    seen.add(o.count);
    countsByKey.set(o.key, seen);
  }
  const twice = [...countsByKey].filter(([, seen]) => seen.size > 1).map(([key, seen]) => `${key}: ${[...seen].join(' and ')}`);
  assert.deepEqual(twice.slice(0, 5), [], 'a request handled twice reported two different counts');
  const handled = new Map<string, number>();
  for (const agent of agents) {
    const keys = [...countsByKey.keys()].filter((k) => k.slice(0, k.lastIndexOf(':')) === agent);
    const counts = keys.map((k) => [...countsByKey.get(k)!][0]!).sort((a, b) => a - b);
    assert.deepEqual(
      counts,
      Array.from({ length: keys.length }, (_, i) => i + 1),
      `${agent}: its counts are not exactly 1..${keys.length}`,
    );
    handled.set(agent, keys.length);
  }
  return handled;
}
