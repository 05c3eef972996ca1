/**
 * Each local agent's `messagesHandled` (decision 2101): one counter per deployment on this node, fed
 * by the bus's reports of what it applied — `handled` for a delivery, `timer-handled` for a timer —
 * whichever instance ran it (the agent's own, a replica, a rollout's candidate). It is kept from the
 * deploy (through upgrades, scalings and restarts of the sandbox instance) and only grows; the
 * sandboxes' own counters are per instance and count a handling that came back `skipped` and ran
 * again as two.
 */
import type { ExecutionOutcome } from '../bus/executor.js';
import type { BusEvents } from '../bus/events.js';

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
  countHandled(agent: string): void;
}

/** Feeds `counter` from the bus's events; returns the unsubscribe. One map lookup per handling. */
export function countHandlings(events: BusEvents, counter: HandledCounter): () => void {
  return events.on(
    (e) => {
      if ((e.type === 'handled' || e.type === 'timer-handled') && countsAsHandled(e.outcome)) counter.countHandled(e.agent);
    },
    ['handled', 'timer-handled'],
  );
}
