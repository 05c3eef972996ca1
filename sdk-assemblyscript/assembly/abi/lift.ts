// Lifting: reading canonical-ABI values the host wrote into guest memory and copying them into
// managed objects. The raw buffers live in the arena (see arena.ts) and are dropped by the caller
// right after lifting, so everything here copies.
import { AclMessage, AgentId, InitContext, KeyValue } from "../types";
import { Performative } from "../performative";
import * as L from "./wit/layout";

/** A string given as (ptr, len in UTF-16 code units). */
export function liftString(ptr: usize, len: u32): string {
  if (len == 0) return "";
  return String.UTF16.decodeUnsafe(ptr, (<usize>len) << 1);
}

/** A string stored as a (ptr, len) slice at `addr`. */
export function liftStringAt(addr: usize): string {
  return liftString(load<u32>(addr), load<u32>(addr, 4));
}

/** A discriminant must be 0 or 1; anything else means the host broke the ABI, so trap. */
function liftBool(addr: usize): bool {
  const d = load<u8>(addr);
  if (d > 1) unreachable();
  return d == 1;
}

/** option<string> at `addr`. */
export function liftOptionalString(addr: usize): string | null {
  if (!liftBool(addr)) return null;
  return liftStringAt(addr + L.OPTION_STRING_PAYLOAD);
}

export function liftStringList(ptr: usize, len: u32): string[] {
  const out = new Array<string>(<i32>len);
  for (let i: u32 = 0; i < len; i++) {
    out[i] = liftStringAt(ptr + <usize>i * L.SLICE_SIZE);
  }
  return out;
}

export function liftAgentIdAt(addr: usize): AgentId {
  const name = liftStringAt(addr + L.AGENT_ID_NAME);
  const a = addr + L.AGENT_ID_ADDRESSES;
  const n = load<u32>(a, 4);
  // No addresses: leave the list null (AgentId creates it on first use).
  return new AgentId(name, n == 0 ? null : liftStringList(load<u32>(a), n));
}

export function liftAgentIdList(ptr: usize, len: u32): AgentId[] {
  const out = new Array<AgentId>(<i32>len);
  for (let i: u32 = 0; i < len; i++) {
    out[i] = liftAgentIdAt(ptr + <usize>i * L.AGENT_ID_SIZE);
  }
  return out;
}

/** list<agent-id> at `addr`; null when empty (AclMessage's lists are null while empty). */
function liftAgentIdListOrNullAt(addr: usize): AgentId[] | null {
  const n = load<u32>(addr, 4);
  return n == 0 ? null : liftAgentIdList(load<u32>(addr), n);
}

export function liftPairList(ptr: usize, len: u32): KeyValue[] {
  const out = new Array<KeyValue>(<i32>len);
  for (let i: u32 = 0; i < len; i++) {
    const e = ptr + <usize>i * L.TUPLE_STRING_STRING_SIZE;
    out[i] = new KeyValue(liftStringAt(e + L.TUPLE_STRING_STRING_0), liftStringAt(e + L.TUPLE_STRING_STRING_1));
  }
  return out;
}

/** record acl-message at `addr` (see layout.ts for the offsets). */
export function liftMessage(addr: usize): AclMessage {
  const p = load<u8>(addr + L.ACL_MESSAGE_PERFORMATIVE);
  if (<u32>p >= L.PERFORMATIVE_CASES) unreachable();
  const m = new AclMessage(<Performative>p);
  if (liftBool(addr + L.ACL_MESSAGE_SENDER)) {
    m.sender = liftAgentIdAt(addr + L.ACL_MESSAGE_SENDER_PAYLOAD);
  }
  m._receivers = liftAgentIdListOrNullAt(addr + L.ACL_MESSAGE_RECEIVERS);
  m._replyTo = liftAgentIdListOrNullAt(addr + L.ACL_MESSAGE_REPLY_TO);
  m.content = liftOptionalString(addr + L.ACL_MESSAGE_CONTENT);
  m.language = liftOptionalString(addr + L.ACL_MESSAGE_LANGUAGE);
  m.encoding = liftOptionalString(addr + L.ACL_MESSAGE_ENCODING);
  m.ontology = liftOptionalString(addr + L.ACL_MESSAGE_ONTOLOGY);
  m.protocol = liftOptionalString(addr + L.ACL_MESSAGE_PROTOCOL);
  m.conversationId = liftOptionalString(addr + L.ACL_MESSAGE_CONVERSATION_ID);
  m.replyWith = liftOptionalString(addr + L.ACL_MESSAGE_REPLY_WITH);
  m.inReplyTo = liftOptionalString(addr + L.ACL_MESSAGE_IN_REPLY_TO);
  if (liftBool(addr + L.ACL_MESSAGE_REPLY_BY)) {
    m.hasReplyBy = true;
    m.replyBy = load<u64>(addr + L.ACL_MESSAGE_REPLY_BY_PAYLOAD);
  }
  const up = addr + L.ACL_MESSAGE_USER_PARAMS;
  const params = load<u32>(up, 4);
  if (params > 0) m._userParams = liftPairList(load<u32>(up), params);
  return m;
}

/** init-context, passed flat: self.name, self.addresses, config (three (ptr, len) slices). */
export function liftInitContext(
  namePtr: usize, nameLen: u32, addrPtr: usize, addrLen: u32, cfgPtr: usize, cfgLen: u32,
): InitContext {
  const self = new AgentId(liftString(namePtr, nameLen), liftStringList(addrPtr, addrLen));
  return new InitContext(self, liftPairList(cfgPtr, cfgLen));
}
