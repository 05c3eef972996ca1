// The agent programming model: subclass `Agent`, override the handlers you need, and call
// `register(new MyAgent())` at the top level of your entry file.
import { AclMessage, InitContext } from "./types";
import { notUnderstood } from "./reply";
import { Performative } from "./performative";

export class Agent {
  /** Called once, before any message. Call `fail(reason)` to refuse the deployment. */
  onInit(ctx: InitContext): void {}

  /**
   * Handles one message. Call `fail(reason)` for an application-level failure (the runtime
   * answers the sender with `failure`); a trap (abort, unreachable, out of memory) is a crash: the
   * instance is replaced, its outbox discarded and the message retried.
   * The default answers `not-understood`, as FIPA expects for messages an agent cannot process.
   */
  onMessage(msg: AclMessage): void {
    // Never answer a not-understood or failure with not-understood: two default agents would
    // bounce messages forever.
    if (msg.performative != Performative.NotUnderstood && msg.performative != Performative.Failure) {
      notUnderstood(msg, "no handler");
    }
  }

  /** A timer set with `setTimer(delay, token)` fired. */
  onTimer(token: string): void {}
}

let registered: Agent | null = null;

/** Makes `agent` the one the runtime drives. Call exactly once, at the top level of the entry file. */
export function register(agent: Agent): void {
  registered = agent;
}

/** The registered agent; aborts with a clear message when the entry file forgot `register`. */
export function registeredAgent(): Agent {
  const a = registered;
  if (a === null) {
    abort("no agent registered: call register(new MyAgent()) at the top level of your entry file");
    return unreachable();
  }
  return a;
}
