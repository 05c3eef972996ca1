// Lowering: writing managed values into canonical-ABI layout for an import call.
//
// Strings are NOT copied: AssemblyScript strings are already UTF-16 in linear memory, so a slice
// points straight at the string's data. That is safe because the caller keeps the message alive
// for the duration of the (synchronous) host call, and the host only reads. Lists need contiguous
// element arrays, which are built in the arena and released by the caller after the call.
import { AclMessage, AgentId, KeyValue } from "../types";
import { Performative } from "../performative";
import { arenaAlloc } from "./arena";
import * as L from "./wit/layout";

@inline function storeSlice(addr: usize, ptr: usize, len: u32): void {
  store<u32>(addr, <u32>ptr);
  store<u32>(addr, len, 4);
}

export function lowerStringAt(addr: usize, s: string): void {
  storeSlice(addr, changetype<usize>(s), <u32>s.length);
}

function lowerOptionalString(addr: usize, s: string | null): void {
  if (s === null) {
    store<u8>(addr, 0);
    storeSlice(addr + L.OPTION_STRING_PAYLOAD, 0, 0);
  } else {
    store<u8>(addr, 1);
    lowerStringAt(addr + L.OPTION_STRING_PAYLOAD, s);
  }
}

/** list<string> into the arena; writes the (ptr, len) slice at `addr`. */
export function lowerStringListAt(addr: usize, list: string[] | null): void {
  const n = list === null ? 0 : list.length;
  const arr: usize = n == 0 ? 0 : arenaAlloc(<usize>n * L.SLICE_SIZE, L.SLICE_ALIGN);
  for (let i = 0; i < n; i++) lowerStringAt(arr + <usize>i * L.SLICE_SIZE, list![i]);
  storeSlice(addr, arr, <u32>n);
}

function lowerAgentIdAt(addr: usize, id: AgentId): void {
  lowerStringAt(addr + L.AGENT_ID_NAME, id.name);
  lowerStringListAt(addr + L.AGENT_ID_ADDRESSES, id._addresses);
}

function lowerAgentIdListAt(addr: usize, list: AgentId[] | null): void {
  const n = list === null ? 0 : list.length;
  const arr: usize = n == 0 ? 0 : arenaAlloc(<usize>n * L.AGENT_ID_SIZE, L.AGENT_ID_ALIGN);
  for (let i = 0; i < n; i++) lowerAgentIdAt(arr + <usize>i * L.AGENT_ID_SIZE, list![i]);
  storeSlice(addr, arr, <u32>n);
}

/** list<tuple<string, string>> into the arena; writes the slice at `addr`. */
export function lowerPairListAt(addr: usize, list: KeyValue[] | null): void {
  const n = list === null ? 0 : list.length;
  const arr: usize = n == 0 ? 0 : arenaAlloc(<usize>n * L.TUPLE_STRING_STRING_SIZE, L.TUPLE_STRING_STRING_ALIGN);
  for (let i = 0; i < n; i++) {
    const e = arr + <usize>i * L.TUPLE_STRING_STRING_SIZE;
    const kv = list![i];
    lowerStringAt(e + L.TUPLE_STRING_STRING_0, kv.key);
    lowerStringAt(e + L.TUPLE_STRING_STRING_1, kv.value);
  }
  storeSlice(addr, arr, <u32>n);
}

/**
 * record acl-message into a fresh arena block. `acl-message` flattens to 38 core values, more than
 * the 16 the canonical ABI passes in registers, so imports taking it receive a pointer instead.
 */
export function lowerMessage(m: AclMessage): usize {
  const addr = arenaAlloc(L.ACL_MESSAGE_SIZE, L.ACL_MESSAGE_ALIGN);
  // Padding bytes are never read by the host, but zeroing keeps the buffer deterministic.
  memory.fill(addr, 0, L.ACL_MESSAGE_SIZE);
  store<u8>(addr + L.ACL_MESSAGE_PERFORMATIVE, <u8>m.performative);
  const sender = m.sender;
  if (sender !== null) {
    store<u8>(addr + L.ACL_MESSAGE_SENDER, 1);
    lowerAgentIdAt(addr + L.ACL_MESSAGE_SENDER_PAYLOAD, sender);
  }
  lowerAgentIdListAt(addr + L.ACL_MESSAGE_RECEIVERS, m._receivers);
  lowerAgentIdListAt(addr + L.ACL_MESSAGE_REPLY_TO, m._replyTo);
  lowerOptionalString(addr + L.ACL_MESSAGE_CONTENT, m.content);
  lowerOptionalString(addr + L.ACL_MESSAGE_LANGUAGE, m.language);
  lowerOptionalString(addr + L.ACL_MESSAGE_ENCODING, m.encoding);
  lowerOptionalString(addr + L.ACL_MESSAGE_ONTOLOGY, m.ontology);
  lowerOptionalString(addr + L.ACL_MESSAGE_PROTOCOL, m.protocol);
  lowerOptionalString(addr + L.ACL_MESSAGE_CONVERSATION_ID, m.conversationId);
  lowerOptionalString(addr + L.ACL_MESSAGE_REPLY_WITH, m.replyWith);
  lowerOptionalString(addr + L.ACL_MESSAGE_IN_REPLY_TO, m.inReplyTo);
  if (m.hasReplyBy) {
    store<u8>(addr + L.ACL_MESSAGE_REPLY_BY, 1);
    store<u64>(addr + L.ACL_MESSAGE_REPLY_BY_PAYLOAD, m.replyBy);
  }
  lowerPairListAt(addr + L.ACL_MESSAGE_USER_PARAMS, m._userParams);
  return addr;
}

/**
 * The reply `createReply(to, performative, content)` would build, lowered straight into a fresh
 * arena block without building it: receivers are `to`'s reply-to (or its sender), conversation-id
 * and protocol are kept, in-reply-to is `to`'s reply-with, language/ontology/encoding are kept;
 * every other field is absent. `reply()` sends this: it saves the reply's managed objects (the
 * message, its three lists and the receivers' growth), about a quarter of an echo's allocations
 * and so of the GC work they cause (docs/decisions/2107). Keep it in step with `createReply`; the
 * round-trip test compares the two.
 */
export function lowerReply(to: AclMessage, performative: Performative, content: string | null): usize {
  const addr = arenaAlloc(L.ACL_MESSAGE_SIZE, L.ACL_MESSAGE_ALIGN);
  memory.fill(addr, 0, L.ACL_MESSAGE_SIZE);
  store<u8>(addr + L.ACL_MESSAGE_PERFORMATIVE, <u8>performative);
  const sender = to.sender;
  const replyTo = to._replyTo;
  if (replyTo !== null && replyTo.length > 0) {
    lowerAgentIdListAt(addr + L.ACL_MESSAGE_RECEIVERS, replyTo);
  } else if (sender !== null) {
    const arr = arenaAlloc(L.AGENT_ID_SIZE, L.AGENT_ID_ALIGN);
    lowerAgentIdAt(arr, sender);
    storeSlice(addr + L.ACL_MESSAGE_RECEIVERS, arr, 1);
  }
  // (reply-to and user params stay empty lists: zeroed (0, 0) slices.)
  lowerOptionalString(addr + L.ACL_MESSAGE_CONTENT, content);
  lowerOptionalString(addr + L.ACL_MESSAGE_LANGUAGE, to.language);
  lowerOptionalString(addr + L.ACL_MESSAGE_ENCODING, to.encoding);
  lowerOptionalString(addr + L.ACL_MESSAGE_ONTOLOGY, to.ontology);
  lowerOptionalString(addr + L.ACL_MESSAGE_PROTOCOL, to.protocol);
  lowerOptionalString(addr + L.ACL_MESSAGE_CONVERSATION_ID, to.conversationId);
  lowerOptionalString(addr + L.ACL_MESSAGE_IN_REPLY_TO, to.replyWith);
  return addr;
}
