/**
 * Each local agent's `messagesHandled` (decision 2101): one counter per deployment on this node, fed
 * by the bus's reports of what it applied — `handled` for a delivery, `timer-handled` for a timer —
 * whichever instance ran it (the agent's own, a replica, a rollout's candidate). It is kept from the
 * deploy (through upgrades, scalings and restarts of the sandbox instance) and only grows; the
 * sandboxes' own counters are per instance and count a handling that came back `skipped` and ran
 * again as two. The same handlings feed each agent's costs (fuel, time, sends, bytes, state, HTTP)
 * and the conversations' (decision 2184).
 */
import type { ExecutionOutcome } from '../bus/executor.js';
import type { BusEvents } from '../bus/events.js';
import type { ConversationCostLedger, HandlingSample } from './costs/conversation-costs.js';

/**
 * A handling the figure counts: the agent's code ran to an outcome — ok, rejected, or a crash of its
 * own (trap, fuel, memory, …). Not one that did not run (`not-running`, `skipped`: it runs again and
 * counts then) nor a crash `unavailable` (the executor lost the batch: a shard died; no attempt is
 * counted either). A handling whose commit then failed ran, and its rerun runs again: both count, as
 * the fuel it used does (decision 2101).
 */
export function countsAsHandled(outcome: ExecutionOutcome): boolean {
  return outcome.status === 'ok' || outcome.status === 'rejected' || (outcome.status === 'crashed' && outcome.kind !== 'unavailable');
}

/** Where the counts go: the local agents (an agent not deployed here, e.g. a replica unit of another node's agent, is not counted). */
export interface HandledCounter {
  /** Counts one handling and what it cost into `agent`'s figures; false when the agent is not deployed here. */
  countHandled(agent: string, cost: HandlingSample): boolean;
}

/**
 * Feeds `counter` from the bus's events, and the conversations' costs (decision 2184) with the same
 * handlings: the one place both are fed, so the agents' costs add up to the node's totals. The
 * conversations also count what no deployment here counts — a kind's instances (`kind/key`), a
 * replica unit of another node's agent — as a conversation's cost is every handling of it on this
 * node. Returns the unsubscribe. One map lookup per handling, and the ledger's O(1) record.
 */
export function countHandlings(events: BusEvents, counter: HandledCounter, conversations?: ConversationCostLedger): () => void {
  return events.on(
    (e) => {
      if ((e.type !== 'handled' && e.type !== 'timer-handled') || !countsAsHandled(e.outcome)) return;
      counter.countHandled(e.agent, e);
      conversations?.record(e.agent, e.type === 'handled' ? e.conversationId : undefined, e, Date.now());
    },
    ['handled', 'timer-handled'],
  );
}
