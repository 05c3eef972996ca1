// Per-instance state the SDK keeps between calls: this agent's identity and the error a handler
// recorded with `fail`.
import { AgentId } from "./types";

let selfId: AgentId = new AgentId();
let pendingError: string | null = null;

/** This agent's own identifier (valid from `onInit` on). */
export function self(): AgentId {
  return selfId;
}

/** Called by the ABI layer with the identity from init-context. */
export function setSelf(id: AgentId): void {
  selfId = id;
}

/**
 * Ends the current `onInit`/`onMessage`/`onTimer` with an application-level error once the handler
 * returns. AssemblyScript has no exceptions: `throw` aborts, and an abort is a crash (the instance
 * is replaced and the message retried), not an error. The last call wins.
 */
export function fail(reason: string): void {
  pendingError = reason;
}

/** Takes the error recorded by `fail` during the current call, clearing it. */
export function takeError(): string | null {
  const e = pendingError;
  pendingError = null;
  return e;
}
