/** Absent agents' queues (decision 1990): messages past their TTL are dead-lettered `absent-ttl`, queues past their bound trimmed. */
import type { Bus } from '../bus/bus.js';
import { AbsentQueueSweeper } from '../node/absent-queues.js';
import type { AgentLogs } from '../node/agent-logs.js';
import type { AgentLifecycle } from '../node/lifecycle/index.js';
import { DEFAULT_ABSENT_SWEEP_MS } from './options.js';
import type { StartContext } from './start-context.js';

export function startAbsentSweeper(ctx: StartContext, agents: AgentLifecycle, bus: Bus, logs: AgentLogs): AbsentQueueSweeper {
  const { options, undo } = ctx;
  const absentSweeper = new AbsentQueueSweeper({
    agents,
    expire: async (agent, ttlMs, since) => {
      // Asked before each letter: still absent here (not deployed again meanwhile) and, in a
      // cluster, still this node's to hold (the claim with its margin: the fence of a completion).
      const held = (): boolean => agents.absence(agent) !== undefined && agents.holdsQueue(agent);
      // Expiry first: what it takes out makes room before anything is trimmed past the bound.
      const expired = await bus.expireAbsent(agent, ttlMs, since, held);
      // In a cluster, sends through other nodes reach this (the holding) node's queue unbounded: trimmed here.
      const limit = agents.absence(agent)?.queue;
      const trimmed = limit === undefined || agents.ownership() === undefined || !held() ? 0 : await bus.trimAbsent(agent, limit, held);
      return expired + trimmed;
    },
    noteAbsence: (agent) => bus.noteAbsence(agent),
    intervalMs: options.absentSweepMs ?? DEFAULT_ABSENT_SWEEP_MS,
    // A cluster's shared count (decision 2157): the deliveries held here replace the places their sends took.
    publish: () => agents.publishAbsentQueues((agent) => bus.pendingIds(agent)),
    warn: (agent, message) => logs.append(agent, { level: 'warn', message: `[caxton] ${message}`, at: Date.now() }),
  });
  absentSweeper.start();
  undo.push(() => absentSweeper.stop());
  return absentSweeper;
}
