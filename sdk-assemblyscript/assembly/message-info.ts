// The message being handled (interface `message-info` in wit/agent.wit, decision 2001).
//
// A message with more than 16 receivers is delivered with only this agent's own id in `receivers`
// and the count in the user parameter `X-caxton-receivers`: a message to N receivers then costs the
// node O(N), not N copies of an N-name list. An agent that needs the whole list (to answer all the
// others, say) pages it here. Below the threshold the message carries its list as sent and these
// calls answer the same.
import * as raw from "./abi/wit/message-info";
import { arenaAlloc, arenaReset } from "./abi/arena";
import { liftAgentIdList, liftStringAt } from "./abi/lift";
import * as L from "./abi/wit/layout";
import { AclMessage, AgentId } from "./types";

/** The user parameter a narrowed delivery carries with the message's receiver count. */
export const RECEIVER_COUNT_PARAM = "X-caxton-receivers";
/** Most receivers one `MessageInfo.receivers` call returns. */
export const MAX_RECEIVERS_PAGE: u32 = 256;

/** Why a `receivers` call was refused (WIT `message-info-error-kind`, in the same order). */
export enum MessageInfoErrorKind {
  /** No message is being handled (called from onInit or a timer). */
  NoMessage = 0,
  /** `limit` is 0 or over 256, or `offset` is past the end of the list. */
  InvalidRange = 1,
}

const KIND_NAMES: StaticArray<string> = ["no-message", "invalid-range"];

/** The WIT name of a kind (`no-message`, `invalid-range`). */
export function messageInfoErrorKindName(kind: MessageInfoErrorKind): string {
  return KIND_NAMES[<i32>kind];
}

export class MessageInfoError {
  constructor(public kind: MessageInfoErrorKind, public message: string) {}

  toString(): string {
    return "message-info " + messageInfoErrorKindName(this.kind) + ": " + this.message;
  }
}

/** One page of receivers, or why there is none (AssemblyScript has no exceptions). */
export class ReceiversPage {
  constructor(public receivers: AgentId[], public error: MessageInfoError | null) {}
}

/** The message being handled. All members are static. */
export class MessageInfo {
  /** How many receivers the message being handled has (0 outside a handler). */
  static receiverCount(): u32 {
    return raw.receiverCount();
  }

  /** Receivers `offset .. offset + limit` (limit 1..256) in the order sent; fewer at the end. */
  static receivers(offset: u32, limit: u32): ReceiversPage {
    const ret = arenaAlloc(L.RESULT_LIST_AGENT_ID_MESSAGE_INFO_ERROR_SIZE, L.RESULT_LIST_AGENT_ID_MESSAGE_INFO_ERROR_ALIGN);
    raw.receivers(offset, limit, ret);
    const d = load<u8>(ret);
    let page: ReceiversPage;
    if (d == 0) {
      const list = ret + L.RESULT_LIST_AGENT_ID_MESSAGE_INFO_ERROR_PAYLOAD;
      page = new ReceiversPage(liftAgentIdList(load<u32>(list), load<u32>(list, 4)), null);
    } else {
      if (d != 1) unreachable();
      const err = ret + L.RESULT_LIST_AGENT_ID_MESSAGE_INFO_ERROR_PAYLOAD;
      const kind = <u32>load<u8>(err + L.MESSAGE_INFO_ERROR_KIND);
      if (kind >= L.MESSAGE_INFO_ERROR_KIND_CASES) unreachable(); // the host broke the ABI
      page = new ReceiversPage([], new MessageInfoError(<MessageInfoErrorKind>kind, liftStringAt(err + L.MESSAGE_INFO_ERROR_MESSAGE)));
    }
    arenaReset();
    return page;
  }

  /** Every receiver of the message being handled, paged (empty outside a handler). */
  static allReceivers(): AgentId[] {
    const count = raw.receiverCount();
    const out = new Array<AgentId>(0);
    let offset: u32 = 0;
    while (offset < count) {
      const page = MessageInfo.receivers(offset, MAX_RECEIVERS_PAGE);
      if (page.error !== null || page.receivers.length == 0) break;
      for (let i = 0; i < page.receivers.length; i++) out.push(page.receivers[i]);
      offset += <u32>page.receivers.length;
    }
    return out;
  }

  /**
   * The receiver count of `m` without a host call: its `X-caxton-receivers` when the delivery was
   * narrowed, else the length of its list.
   */
  static countOf(m: AclMessage): i32 {
    const v = m.param(RECEIVER_COUNT_PARAM);
    if (v === null) return m.receivers.length;
    return I32.parseInt(v);
  }
}
