// Topic subscriptions (interface `topics` in wit/agent.wit, decisions 1960 and 1961).
//
// A message sent to the receiver `topic:<name>` is delivered to every agent subscribed to <name>
// (the delivered message keeps `topic:<name>` as its receiver). Like a send, a change made in
// `onInit`, a handler or a timer is applied only if that call completes, and it lasts (restarts,
// upgrades) until unsubscribed or the agent is undeployed. The name and the filter are checked at
// the call; the per-agent bound (100 topics) when the change is applied (a refusal is logged).
import * as raw from "./abi/wit/topics";
import { arenaAlloc, arenaReset } from "./abi/arena";
import { liftStringAt } from "./abi/lift";
import * as L from "./abi/wit/layout";

/** Why the runtime refused a topic change (WIT `topic-error-kind`, in the same order). */
export enum TopicErrorKind {
  /** Not a topic name: 1..200 letters, digits and `. - _ /`, starting with a letter or digit. */
  InvalidName = 0,
  /** The filter is not the filter form as JSON, or is over its bounds. */
  InvalidFilter = 1,
  /** Too many directory or topic changes in this call or this second. */
  QuotaExceeded = 2,
}

const KIND_NAMES: StaticArray<string> = ["invalid-name", "invalid-filter", "quota-exceeded"];

/** The WIT name of a kind (`invalid-name`, …), for logs and failure messages. */
export function topicErrorKindName(kind: TopicErrorKind): string {
  return KIND_NAMES[<i32>kind];
}

/** A refused change. AssemblyScript has no exceptions, so `Topics.subscribe`/`unsubscribe` return it (or null). */
export class TopicError {
  constructor(public kind: TopicErrorKind, public message: string) {}

  toString(): string {
    return "topics " + topicErrorKindName(this.kind) + ": " + this.message;
  }
}

/** Reads a result<_, topic-error> at `ret`: null for ok. */
function liftTopicResult(ret: usize): TopicError | null {
  const d = load<u8>(ret);
  if (d == 0) return null;
  if (d != 1) unreachable();
  const err = ret + L.RESULT_NONE_TOPIC_ERROR_PAYLOAD;
  const kind = <u32>load<u8>(err + L.TOPIC_ERROR_KIND);
  if (kind >= L.TOPIC_ERROR_KIND_CASES) unreachable(); // the host broke the ABI
  return new TopicError(<TopicErrorKind>kind, liftStringAt(err + L.TOPIC_ERROR_MESSAGE));
}

/** The agent's topic subscriptions. All members are static. */
export class Topics {
  /**
   * Subscribes to `topic`; `filter` is a filter as JSON text
   * (`{"all":[{"field":"performative","match":{"equals":"cfp"}}]}`) or null for every message.
   * Subscribing again replaces the filter. Returns null, or why it was refused.
   */
  static subscribe(topic: string, filter: string | null = null): TopicError | null {
    const ret = arenaAlloc(L.RESULT_NONE_TOPIC_ERROR_SIZE, L.RESULT_NONE_TOPIC_ERROR_ALIGN);
    if (filter === null) {
      raw.subscribe(changetype<usize>(topic), <u32>topic.length, 0, 0, 0, ret);
    } else {
      raw.subscribe(changetype<usize>(topic), <u32>topic.length, 1, changetype<usize>(filter), <u32>filter.length, ret);
    }
    const err = liftTopicResult(ret);
    arenaReset();
    return err;
  }

  /** Unsubscribes from `topic` (not being subscribed is fine). Returns null, or why it was refused. */
  static unsubscribe(topic: string): TopicError | null {
    const ret = arenaAlloc(L.RESULT_NONE_TOPIC_ERROR_SIZE, L.RESULT_NONE_TOPIC_ERROR_ALIGN);
    raw.unsubscribe(changetype<usize>(topic), <u32>topic.length, ret);
    const err = liftTopicResult(ret);
    arenaReset();
    return err;
  }
}
