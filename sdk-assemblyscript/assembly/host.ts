// Typed access to the functions the runtime provides (interface `host` in wit/agent.wit).
import * as raw from "./abi/wit/host";
import { arenaAlloc, arenaReset } from "./abi/arena";
import { liftAgentIdList, liftStringAt } from "./abi/lift";
import { lowerMessage, lowerPairListAt, lowerStringListAt } from "./abi/lower";
import * as L from "./abi/wit/layout";
import { AclMessage, AgentId, ServiceDescription } from "./types";
import { LogLevel } from "./performative";

/** Reads a result<_, string> the host wrote at `ret`: null for ok, the error otherwise. */
function liftResult(ret: usize): string | null {
  const d = load<u8>(ret);
  if (d == 0) return null;
  if (d != 1) unreachable();
  return liftStringAt(ret + L.RESULT_NONE_STRING_PAYLOAD);
}

/**
 * Queues a message. Returns null when queued, or why the message is invalid (e.g. no receivers).
 * Delivery is transactional: messages sent while handling a message only leave if that handling
 * completes without a trap. Routing failures come back later as `failure` messages.
 */
export function send(message: AclMessage): string | null {
  return sendLowered(lowerMessage(message));
}

/** Sends a message already lowered into the arena at `addr` (by lowerMessage or lowerReply). */
export function sendLowered(addr: usize): string | null {
  const ret = arenaAlloc(L.RESULT_NONE_STRING_SIZE, L.RESULT_NONE_STRING_ALIGN);
  raw.send(addr, ret);
  const err = liftResult(ret);
  arenaReset();
  return err;
}

/** Writes a line to the agent's log. */
export function log(level: LogLevel, message: string): void {
  raw.log(<u32>level, changetype<usize>(message), <u32>message.length);
}

export function trace(message: string): void { log(LogLevel.Trace, message); }
export function debug(message: string): void { log(LogLevel.Debug, message); }
export function info(message: string): void { log(LogLevel.Info, message); }
export function warn(message: string): void { log(LogLevel.Warn, message); }
export function error(message: string): void { log(LogLevel.Error, message); }

/** Wall-clock time, milliseconds since the Unix epoch. */
export function now(): u64 {
  return raw.now();
}

/** A fresh platform-unique identifier for reply-with and conversation-id. */
export function newId(): string {
  const ret = arenaAlloc(L.SLICE_SIZE, L.SLICE_ALIGN);
  raw.newId(ret);
  const id = liftStringAt(ret);
  arenaReset();
  return id;
}

/** Asks for `onTimer(token)` after `delayMs` milliseconds. */
export function setTimer(delayMs: u32, token: string): void {
  raw.setTimer(delayMs, changetype<usize>(token), <u32>token.length);
}

/** Advertises (or replaces) a service. Returns null on success, or the directory's reason. */
export function registerService(service: ServiceDescription): string | null {
  // Six (ptr, len) slices: build the three list<string> and the property list in the arena.
  const slices = arenaAlloc(4 * L.SLICE_SIZE, L.SLICE_ALIGN);
  lowerStringListAt(slices, service.protocols);
  lowerStringListAt(slices + 8, service.ontologies);
  lowerStringListAt(slices + 16, service.languages);
  lowerPairListAt(slices + 24, service.properties);
  const ret = arenaAlloc(L.RESULT_NONE_STRING_SIZE, L.RESULT_NONE_STRING_ALIGN);
  raw.registerService(
    changetype<usize>(service.name), <u32>service.name.length,
    changetype<usize>(service.type), <u32>service.type.length,
    load<u32>(slices), load<u32>(slices, 4),
    load<u32>(slices + 8), load<u32>(slices + 8, 4),
    load<u32>(slices + 16), load<u32>(slices + 16, 4),
    load<u32>(slices + 24), load<u32>(slices + 24, 4),
    ret,
  );
  const err = liftResult(ret);
  arenaReset();
  return err;
}

/** Withdraws one of this agent's services by name. */
export function deregisterService(name: string): void {
  raw.deregisterService(changetype<usize>(name), <u32>name.length);
}

/** Agents advertising services of `serviceType`. */
export function searchServices(serviceType: string): AgentId[] {
  const ret = arenaAlloc(L.SLICE_SIZE, L.SLICE_ALIGN);
  raw.searchServices(changetype<usize>(serviceType), <u32>serviceType.length, ret);
  const found = liftAgentIdList(load<u32>(ret), load<u32>(ret, 4));
  arenaReset();
  return found;
}
