/**
 * Whether a node can take work, from the facts that decide it. One rule for both places that report
 * it (grpc.health.v1 on the API port and on `--health-addr`, which the kubelet probes):
 *
 * - `starting`: the node is not assembled yet (the health port listens from the first moment, so a
 *   startup probe gets NOT_SERVING instead of a refused connection);
 * - the message log has stopped for good (ENOSPC, EIO…), or the bus was stopped: nothing can be
 *   persisted, so nothing may be accepted;
 * - in cluster mode, the node does not hold its membership lease: it runs no agents, and its
 *   placement will not give it any until it rejoins;
 * - `stopping`: the node is draining on SIGTERM: out of the Service before it closes.
 *
 * Pure, so each case is unit-tested; the node feeds it field reads (no I/O), cheap enough to poll.
 */
import type { NodeHealth } from '@caxton/core';

export type NodePhase = 'starting' | 'running' | 'stopping' | 'stopped';

export interface HealthFacts {
  phase: NodePhase;
  /** Why the message log stopped for good, if it did. */
  logStoppedBy: Error | undefined;
  /** What the topology says of itself: cluster membership (embedded: always serving). */
  topology: NodeHealth;
}

export function nodeHealth(f: HealthFacts): NodeHealth {
  if (f.phase === 'starting') return { serving: false, reason: 'the node is starting' };
  if (f.phase === 'stopping' || f.phase === 'stopped')
    return {
      serving: false,
      reason: `the node is ${f.phase === 'stopping' ? 'shutting down' : 'stopped'}: its message log is closing or closed`,
    };
  if (f.logStoppedBy) return { serving: false, reason: `message log stopped: ${f.logStoppedBy.message.slice(0, 300)}` };
  return f.topology;
}
