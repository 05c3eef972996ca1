/**
 * Bounded lifting on the jco path. jco's generated glue lifts a host function's arguments from
 * guest memory — every string of every list entry, however many entries point at the same bytes —
 * before it calls the host. So the sandbox wraps the core functions a guest module imports from
 * `caxton:agent/host` with a scan that walks the canonical-ABI arguments itself (layouts from
 * direct/abi.ts), reading only pointers, lengths and discriminants, and counts them against the
 * same lift budget as the direct path *before* jco lifts anything:
 *
 * - within the caps, the host call's lift fuel is charged and jco's glue runs as usual;
 * - `send` / `register-service` over the caps return the refusal as their `result` error: the glue
 *   is called with an empty value instead (register-service: all-zero flat arguments; send: the
 *   160-byte message record is zeroed for the call and restored after), and the bridge answers
 *   that call with the refusal — so jco still lowers the error in the guest's string encoding;
 * - `log` is lifted at most up to a log line (the length is cut before jco sees it);
 * - `set-timer`, `deregister-service`, `search-services` with a string over its cap end the call.
 *
 * The same wrap checks an export's `result` error string before jco lifts it. The state and http
 * imports are guarded the same way (`guardStateImports`, `guardHttpImports`): a key or value over
 * its limit, or a request over its cap, is refused from lengths alone and jco is handed empty
 * arguments, so a guest passing a 1 GiB "value" never makes the host decode it.
 *
 * Which memory? jco's lowerings read the memories its glue took from core instances' exports
 * (jco-instance.ts records every such read). Usually that is one memory; when there are several,
 * the scan runs in each one where the arguments are in bounds and the largest count applies (a
 * memory where they are out of bounds cannot be the one jco reads: it would fail there). Arguments
 * out of bounds in every memory are an ABI violation, refused before jco lifts anything.
 */
import '../webassembly-types.js';
import { AbiViolation } from '../errors.js';
import type { HostBridge } from '../host/bridge.js';
import { LiftBudget } from '../host/lift-budget.js';
import { HostArgumentRefused, LiftLimitExceeded } from '../host/refusals.js';
import { filterTooLong, topicTooLong } from '../host/topic-request.js';
import { faultNoted } from '../host/fault-noted.js';
import { TOPIC_LIMITS } from '@caxton/core';
import type { WasiOutput } from '../wasi/deny-wasi.js';
import type { AgentFileSystem } from '../wasi/filesystem.js';
import { A2A_CALL_FLAT, AGENT_ID, FETCH_FLAT, MSG, MSG_OPTIONAL_STRINGS, OPT_AGENT_ID, PAIR, RESULT } from '../abi.js';

type CoreFn = (...args: number[]) => unknown;

/** A string length's code units (latin1+utf16 tags UTF-16 strings with the top bit). */
const units = (len: number): number => (len >>> 0) & 0x7fffffff;

/** Reads guest memory for the scan; out-of-bounds reads are an ABI violation (jco would fail there too). */
class Reader {
  readonly dv: DataView;
  constructor(memory: WebAssembly.Memory) {
    this.dv = new DataView(memory.buffer);
  }
  u8(at: number): number {
    if (at >= this.dv.byteLength) throw new AbiViolation(`host call argument at ${at} is outside the agent's memory`);
    return this.dv.getUint8(at);
  }
  u32(at: number): number {
    if (at + 4 > this.dv.byteLength) throw new AbiViolation(`host call argument at ${at} is outside the agent's memory`);
    return this.dv.getUint32(at, true);
  }
  disc(at: number, what: string): number {
    const d = this.u8(at);
    if (d > 1) throw new AbiViolation(`${what}: discriminant ${d} out of range`);
    return d;
  }
}

function scanString(r: Reader, at: number, b: LiftBudget): void {
  b.string(units(r.u32(at + 4)));
}

/** list<string> or list<agent-id>/list<tuple<string,string>> whose entries hold `strings` strings (+ a list of strings for agent-id). */
function scanStringList(r: Reader, at: number, b: LiftBudget): void {
  const ptr = r.u32(at);
  const len = r.u32(at + 4);
  b.list(len);
  for (let i = 0; i < len; i++) scanString(r, ptr + i * 8, b);
}

function scanAgentId(r: Reader, at: number, b: LiftBudget): void {
  scanString(r, at + AGENT_ID.name, b);
  scanStringList(r, at + AGENT_ID.addresses, b);
}

function scanAgentIds(r: Reader, at: number, b: LiftBudget): void {
  const ptr = r.u32(at);
  const len = r.u32(at + 4);
  b.list(len);
  for (let i = 0; i < len; i++) scanAgentId(r, ptr + i * AGENT_ID.size, b);
}

function scanPairs(r: Reader, at: number, b: LiftBudget): void {
  const ptr = r.u32(at);
  const len = r.u32(at + 4);
  b.list(len);
  for (let i = 0; i < len; i++) {
    scanString(r, ptr + i * PAIR.size, b);
    scanString(r, ptr + i * PAIR.size + PAIR.second, b);
  }
}

/** Everything jco would lift for `send(message)`, counted (the record is passed by pointer). */
export function scanMessage(memory: WebAssembly.Memory, ptr: number, b: LiftBudget): void {
  const r = new Reader(memory);
  ptr >>>= 0;
  if (ptr % MSG.align !== 0 || ptr + MSG.size > r.dv.byteLength) throw new AbiViolation(`acl-message: bad pointer ${ptr}`);
  if (r.disc(ptr + MSG.sender, 'sender') === 1) scanAgentId(r, ptr + MSG.sender + OPT_AGENT_ID.payload, b);
  scanAgentIds(r, ptr + MSG.receivers, b);
  scanAgentIds(r, ptr + MSG.replyTo, b);
  for (const [field, offset] of MSG_OPTIONAL_STRINGS) if (r.disc(ptr + offset, field) === 1) scanString(r, ptr + offset + 4, b);
  scanPairs(r, ptr + MSG.userParams, b);
}

/** Everything jco would lift for `register-service(service)` from its 12 flat values. */
export function scanServiceFlat(memory: WebAssembly.Memory, flat: number[], b: LiftBudget): void {
  const r = new Reader(memory);
  b.string(units(flat[1]!));
  b.string(units(flat[3]!));
  for (const i of [2, 3, 4]) {
    const ptr = flat[i * 2]! >>> 0;
    const len = flat[i * 2 + 1]! >>> 0;
    b.list(len);
    for (let k = 0; k < len; k++) scanString(r, ptr + k * 8, b);
  }
  const pPtr = flat[10]! >>> 0;
  const pLen = flat[11]! >>> 0;
  b.list(pLen);
  for (let k = 0; k < pLen; k++) {
    scanString(r, pPtr + k * PAIR.size, b);
    scanString(r, pPtr + k * PAIR.size + PAIR.second, b);
  }
}

/**
 * Runs `fn` with the message record at `ptr` zeroed (an empty, valid message) in every memory where
 * it is in bounds, then restores it.
 */
function withEmptyMessage(memories: Iterable<WebAssembly.Memory>, ptr: number, fn: () => unknown): unknown {
  ptr >>>= 0;
  const saved: [WebAssembly.Memory, Uint8Array][] = [];
  for (const m of memories) {
    if (ptr + MSG.size > m.buffer.byteLength) continue;
    saved.push([m, new Uint8Array(m.buffer, ptr, MSG.size).slice()]);
    new Uint8Array(m.buffer, ptr, MSG.size).fill(0);
  }
  try {
    return fn();
  } finally {
    // A buffer may have been replaced by a memory.grow in cabi_realloc: take it again.
    for (const [m, bytes] of saved) new Uint8Array(m.buffer, ptr, MSG.size).set(bytes);
  }
}

/**
 * Counts `scan` in every memory: the largest in-bounds count (its fuel measure) is returned; over
 * the cap in any memory throws LiftLimitExceeded; out of bounds everywhere throws AbiViolation.
 */
function scanAll(memories: Iterable<WebAssembly.Memory>, budget: LiftBudget, what: string, scan: (m: WebAssembly.Memory) => void): number {
  let bytes = -1;
  let outOfBounds: AbiViolation | null = null;
  for (const m of memories) {
    budget.reset();
    try {
      scan(m);
    } catch (err) {
      if (err instanceof AbiViolation) {
        outOfBounds = err;
        continue;
      }
      throw err;
    }
    bytes = Math.max(bytes, budget.bytes());
  }
  if (bytes < 0) throw outOfBounds ?? new AbiViolation(`${what}: the agent has no memory the sandbox can check`);
  return bytes;
}

/**
 * The host imports of one core module, wrapped. `memories` answers the memories jco's lowerings
 * read, once the component is instantiated.
 */
export function guardHostImports(
  host: Record<string, unknown>,
  memories: () => Iterable<WebAssembly.Memory>,
  bridge: HostBridge,
): Record<string, unknown> {
  const caps = bridge.liftCaps;
  const out: Record<string, unknown> = { ...host };
  const wrap = (name: string, make: (orig: CoreFn) => CoreFn): void => {
    const orig = host[name];
    if (typeof orig === 'function') out[name] = make(orig as CoreFn);
  };

  const sendBudget = new LiftBudget('send', caps.send);
  wrap('send', (orig) => (msgPtr, ret) => {
    const mems = memories();
    let bytes: number;
    try {
      bytes = scanAll(mems, sendBudget, 'send', (m) => scanMessage(m, msgPtr!, sendBudget));
    } catch (err) {
      if (!(err instanceof LiftLimitExceeded)) throw err;
      bridge.refuseNext(bridge.liftRefusal(err, sendBudget.bytes()));
      bridge.passGuard();
      return withEmptyMessage(mems, msgPtr!, () => orig(msgPtr!, ret!));
    }
    bridge.payLift(bytes);
    bridge.passGuard();
    return orig(msgPtr!, ret!);
  });

  const serviceBudget = new LiftBudget('register-service', caps.service);
  wrap('register-service', (orig) => (...args) => {
    let bytes: number;
    try {
      bytes = scanAll(memories(), serviceBudget, 'register-service', (m) => scanServiceFlat(m, args, serviceBudget));
    } catch (err) {
      if (!(err instanceof LiftLimitExceeded)) throw err;
      bridge.refuseNext(bridge.liftRefusal(err, serviceBudget.bytes()));
      bridge.passGuard();
      return orig(...new Array<number>(12).fill(0), args[12]!);
    }
    bridge.payLift(bytes);
    bridge.passGuard();
    return orig(...args);
  });

  wrap('log', (orig) => (level, ptr, len) => {
    bridge.passGuard();
    return orig(level!, ptr!, Math.min(len! >>> 0, caps.logMessage));
  });

  const bounded = (name: string, what: string, max: number, lenIndex: number): void =>
    wrap(name, (orig) => (...args) => {
      const n = units(args[lenIndex]!);
      if (n > max) bridge.failLift(new HostArgumentRefused(name, `the ${what} has ${n} code units, at most ${max} are accepted`));
      bridge.passGuard();
      return orig(...args);
    });
  bounded('set-timer', 'timer token', caps.timerToken, 2);
  bounded('deregister-service', 'service name', caps.serviceField, 1);
  bounded('search-services', 'service type', caps.serviceField, 1);
  // Whatever a host call throws (a refusal, out-of-fuel, a lifting error in jco's glue) ends the
  // call, even if the guest catches it: the bridge keeps it for the instance's afterCall.
  return keepFaults(out, bridge);
}

/** Whatever a guarded import throws ends the call, even if the guest catches it. */
function keepFaults(out: Record<string, unknown>, bridge: HostBridge): Record<string, unknown> {
  for (const [name, fn] of Object.entries(out)) {
    if (typeof fn !== 'function') continue;
    out[name] = faultNoted(fn as CoreFn, bridge);
  }
  return out;
}

/**
 * caxton:agent/state as a core module imports it, guarded: keys and values are flat (ptr, len)
 * pairs, so their lengths are checked before jco decodes them; over the limit, jco gets empty
 * strings and the bridge answers with the refusal (set/delete: `invalid-key`/`value-too-large`;
 * get: none; keys: an empty page; an over-long start-after ends the call).
 */
export function guardStateImports(state: Record<string, unknown>, bridge: HostBridge): Record<string, unknown> {
  const caps = bridge.liftCaps;
  const out: Record<string, unknown> = { ...state };
  const wrap = (name: string, make: (orig: CoreFn) => CoreFn): void => {
    const orig = state[name];
    if (typeof orig === 'function') out[name] = make(orig as CoreFn);
  };
  const keyOver = (len: number): boolean => units(len) > caps.stateKey;
  wrap('get', (orig) => (ptr, len, ret) => {
    bridge.passGuard();
    if (!keyOver(len!)) return orig(ptr!, len!, ret!);
    bridge.refuseNext(null);
    return orig(0, 0, ret!);
  });
  wrap('set', (orig) => (kPtr, kLen, vPtr, vLen, ret) => {
    bridge.passGuard();
    if (keyOver(kLen!)) bridge.refuseNext(bridge.hosts.state.liftRefusal('invalid-key', units(kLen!), caps.stateKey));
    else if (units(vLen!) > caps.stateValue)
      bridge.refuseNext(bridge.hosts.state.liftRefusal('value-too-large', units(vLen!), caps.stateValue));
    else return orig(kPtr!, kLen!, vPtr!, vLen!, ret!);
    return orig(0, 0, 0, 0, ret!);
  });
  wrap('delete', (orig) => (ptr, len, ret) => {
    bridge.passGuard();
    if (!keyOver(len!)) return orig(ptr!, len!, ret!);
    bridge.refuseNext(bridge.hosts.state.liftRefusal('invalid-key', units(len!), caps.stateKey));
    return orig(0, 0, ret!);
  });
  wrap('keys', (orig) => (pPtr, pLen, sDisc, sPtr, sLen, limit, ret) => {
    if (sDisc === 1 && keyOver(sLen!)) {
      bridge.failLift(
        new HostArgumentRefused('state.keys', `start-after has ${units(sLen!)} code units; no key is longer than ${caps.stateKey}`),
      );
    }
    bridge.passGuard();
    if (!keyOver(pLen!)) return orig(pPtr!, pLen!, sDisc!, sPtr!, sLen!, limit!, ret!);
    bridge.refuseNext(null);
    return orig(0, 0, 0, 0, 0, limit!, ret!);
  });
  return keepFaults(out, bridge);
}

/**
 * caxton:agent/topics as a core module imports it, guarded (decision 1961): the topic and the
 * filter are flat (ptr, len) pairs, so their lengths are checked before jco decodes them; over the
 * cap jco gets empty strings and the bridge answers `invalid-name` / `invalid-filter`, unread.
 */
export function guardTopicsImports(topics: Record<string, unknown>, bridge: HostBridge): Record<string, unknown> {
  const out: Record<string, unknown> = { ...topics };
  const nameOver = (len: number): boolean => units(len) > TOPIC_LIMITS.maxTopicNameLength;
  const sub = topics['subscribe'];
  if (typeof sub === 'function') {
    const orig = sub as CoreFn;
    out['subscribe'] = ((tPtr, tLen, fDisc, fPtr, fLen, ret) => {
      bridge.passGuard();
      if (nameOver(tLen!)) bridge.refuseNext(bridge.hosts.topics.liftRefusal(topicTooLong(units(tLen!))));
      else if (fDisc === 1 && units(fLen!) > TOPIC_LIMITS.maxFilterTextLength)
        bridge.refuseNext(bridge.hosts.topics.liftRefusal(filterTooLong(units(fLen!))));
      else return orig(tPtr!, tLen!, fDisc!, fPtr!, fLen!, ret!);
      return orig(0, 0, 0, 0, 0, ret!);
    }) as CoreFn;
  }
  const unsub = topics['unsubscribe'];
  if (typeof unsub === 'function') {
    const orig = unsub as CoreFn;
    out['unsubscribe'] = ((tPtr, tLen, ret) => {
      bridge.passGuard();
      if (!nameOver(tLen!)) return orig(tPtr!, tLen!, ret!);
      bridge.refuseNext(bridge.hosts.topics.liftRefusal(topicTooLong(units(tLen!))));
      return orig(0, 0, ret!);
    }) as CoreFn;
  }
  return keepFaults(out, bridge);
}

/**
 * caxton:agent/message-info as a core module imports it (decision 2001): its arguments are two
 * u32s, so nothing is lifted and nothing needs a cap; the functions only keep their faults.
 */
export function guardMessageInfoImports(messageInfo: Record<string, unknown>, bridge: HostBridge): Record<string, unknown> {
  return keepFaults({ ...messageInfo }, bridge);
}

/** Everything jco would lift for `fetch(request)` from its 14 flat values, counted. */
export function scanRequestFlat(memory: WebAssembly.Memory, flat: number[], b: LiftBudget): void {
  const r = new Reader(memory);
  const f = FETCH_FLAT;
  b.string(units(flat[f.method + 1]!));
  b.string(units(flat[f.url + 1]!));
  scanPairList(r, flat[f.headers]! >>> 0, flat[f.headers + 1]! >>> 0, b);
  if (flat[f.body] === 1) b.string(units(flat[f.body + 2]!));
  if (flat[f.context] === 1) b.string(units(flat[f.context + 2]!));
}

/** Everything jco would lift for a2a's `start(call)` from its 16 flat values, counted. */
export function scanA2aCallFlat(memory: WebAssembly.Memory, flat: number[], b: LiftBudget): void {
  const r = new Reader(memory);
  const f = A2A_CALL_FLAT;
  b.string(units(flat[f.url + 1]!));
  b.string(units(flat[f.subject + 1]!));
  if (flat[f.contextId] === 1) b.string(units(flat[f.contextId + 2]!));
  scanPairList(r, flat[f.headers]! >>> 0, flat[f.headers + 1]! >>> 0, b);
  if (flat[f.context] === 1) b.string(units(flat[f.context + 2]!));
}

/** A `list<tuple<string, string>>` at (ptr, len): the list and both strings of every pair, counted. */
function scanPairList(r: Reader, ptr: number, len: number, b: LiftBudget): void {
  b.list(len);
  for (let k = 0; k < len; k++) {
    scanString(r, ptr + k * PAIR.size, b);
    scanString(r, ptr + k * PAIR.size + PAIR.second, b);
  }
}

/** caxton:agent/http as a core module imports it, guarded: a request over its cap is `quota-exceeded`, unread. */
export function guardHttpImports(
  http: Record<string, unknown>,
  memories: () => Iterable<WebAssembly.Memory>,
  bridge: HostBridge,
): Record<string, unknown> {
  return guardCallImport(http, 'fetch', FETCH_FLAT.ret, scanRequestFlat, memories, bridge);
}

/** caxton:agent/a2a as a core module imports it (decision 2193), guarded as fetch is. */
export function guardA2aImports(
  a2a: Record<string, unknown>,
  memories: () => Iterable<WebAssembly.Memory>,
  bridge: HostBridge,
): Record<string, unknown> {
  return guardCallImport(a2a, 'start', A2A_CALL_FLAT.ret, scanA2aCallFlat, memories, bridge);
}

/**
 * One outbound call's import guarded: what jco would lift is scanned under the request's cap
 * first; over it, the call goes to the host with every flat value zero (nothing to lift) and the
 * host answers the refusal it was given.
 */
function guardCallImport(
  table: Record<string, unknown>,
  fn: string,
  retIndex: number,
  scan: (memory: WebAssembly.Memory, flat: number[], b: LiftBudget) => void,
  memories: () => Iterable<WebAssembly.Memory>,
  bridge: HostBridge,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...table };
  const orig = table[fn];
  const budget = new LiftBudget(fn, bridge.liftCaps.httpRequest);
  if (typeof orig === 'function') {
    const call = orig as CoreFn;
    out[fn] = (...args: number[]) => {
      let bytes: number;
      try {
        bytes = scanAll(memories(), budget, fn, (m) => scan(m, args, budget));
      } catch (err) {
        if (!(err instanceof LiftLimitExceeded)) throw err;
        bridge.refuseNext(bridge.hosts.http.liftRefusal(err, budget.bytes()));
        bridge.passGuard();
        const empty = new Array<number>(retIndex + 1).fill(0);
        empty[retIndex] = args[retIndex]!;
        return call(...empty);
      }
      bridge.payLift(bytes);
      bridge.passGuard();
      return call(...args);
    };
  }
  return keepFaults(out, bridge);
}

/** A guest function's core export, whatever name mangling spells it (not its post-return). */
const GUEST_EXPORT = /^(?!cabi_post).*caxton:agent\/guest[^#|]*[#|](init|handle|on-timer)$/;

/**
 * The module's exports with the guest functions wrapped to check their `result` error string's
 * length before jco lifts it, and charge its lifting (exports that are not guest functions are
 * passed as they are).
 */
export function guardGuestExports(
  exports: WebAssembly.Exports,
  memories: () => Iterable<WebAssembly.Memory>,
  maxUnits: number,
  charge: (units: number) => void,
): WebAssembly.Exports {
  const names = Object.keys(exports).filter((name) => GUEST_EXPORT.test(name) && typeof exports[name] === 'function');
  if (names.length === 0) return exports;
  const out: Record<string, unknown> = { ...exports };
  for (const name of names) {
    const orig = exports[name];
    const fn = GUEST_EXPORT.exec(name)![1]!;
    out[name] = (...args: number[]) => {
      const ret = (orig as CoreFn)(...args) as number;
      const at = ret >>> 0;
      let lifted = -1;
      for (const m of memories()) {
        if (at + RESULT.size > m.buffer.byteLength) continue; // not the memory jco reads the result from
        const r = new Reader(m);
        if (r.u8(at) !== 1) continue;
        const n = units(r.u32(at + RESULT.payload + 4));
        if (n > maxUnits) throw new AbiViolation(`${fn} result: the error string has ${n} code units, more than ${maxUnits}`);
        lifted = Math.max(lifted, n);
      }
      if (lifted >= 0) charge(lifted);
      return ret;
    };
  }
  return out as WebAssembly.Exports;
}

/** The `wasi:io/streams` functions that lift a `list<u8>` of bytes to write: (self, ptr, len, retptr). */
const STREAM_WRITES = ['[method]output-stream.write', '[method]output-stream.blocking-write-and-flush'];
/** Both return `result<_, stream-error>`: its discriminant is the byte at `retptr`, 0 for `ok`. */
const RESULT_OK = 0;
/** Set at a retptr before the glue stores the result there: neither `ok` (0) nor `err` (1). */
const UNWRITTEN = 0xa5;

/**
 * wasi:io/streams as a core module imports it, guarded (decision 2114): a write longer than what
 * the call may still write to stdout/stderr (`maxOutputBytes`) is handed to jco's glue cut to that
 * length, so jco lifts (copies out of guest memory) only the bytes that will be read; the rest is
 * counted as dropped. The write still returns ok: the guest is not told, the operator is (a counter
 * and a log line at the end of the call). A write once the budget is spent is answered here, `ok`
 * stored at its retptr, without entering the glue (decision 2122): the glue's per-call work (a
 * task, a borrowed resource, a copy of nothing) was the dearest part of a flood past the budget.
 * That needs the memory the glue stores results in (ResultMemory); until it is known, the write goes
 * through the glue cut to nothing, as before.
 */
export function guardStreamImports(
  streams: Record<string, unknown>,
  output: WasiOutput,
  memories: () => Iterable<WebAssembly.Memory>,
  logStreams: LogStreamHandles,
  files?: AgentFileSystem,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...streams };
  const results = new ResultMemory(memories);
  const drop = streams[OUTPUT_STREAM_DROP];
  if (typeof drop === 'function') {
    out[OUTPUT_STREAM_DROP] = (handle: number) => {
      logStreams.dropped(handle);
      return (drop as CoreFn)(handle);
    };
  }
  for (const name of STREAM_WRITES) {
    const orig = streams[name];
    if (typeof orig !== 'function') continue;
    const f = orig as CoreFn;
    out[name] = (self: number, ptr: number, len: number, ret: number) => {
      // A file's stream (decision 2191) is not the log's: its writes are never cut; one longer
      // than a file may be is refused unread (the file system answers `file-too-large`).
      if (!logStreams.isLog(self)) {
        if (files === undefined || len >>> 0 <= files.limits.maxFileBytes) return f(self, ptr, len, ret);
        return refusedUnread(files, 'file-too-large', () => f(self, ptr, 0, ret));
      }
      const room = output.room();
      const bytes = len >>> 0;
      if (bytes <= room) return results.throughGlue(() => f(self, ptr, len, ret), ret);
      if (room === 0) {
        const result = results.byteAt(ret);
        if (result !== null) {
          output.dropWrite(bytes);
          result[0] = RESULT_OK;
          return undefined;
        }
      }
      output.drop(bytes - room);
      return results.throughGlue(() => f(self, ptr, room, ret), ret);
    };
  }
  return out;
}

/**
 * The (ptr, len) pairs of the strings and byte lists each `wasi:filesystem/types` import lifts, by
 * the core parameter they are at, and what they are: paths (UTF-8 bytes) or a write's bytes.
 */
const FILESYSTEM_LIFTS: Readonly<Record<string, { pairs: readonly (readonly [number, number])[]; data?: true }>> = {
  '[method]descriptor.open-at': { pairs: [[2, 3]] },
  '[method]descriptor.stat-at': { pairs: [[2, 3]] },
  '[method]descriptor.metadata-hash-at': { pairs: [[2, 3]] },
  '[method]descriptor.set-times-at': { pairs: [[2, 3]] },
  '[method]descriptor.create-directory-at': { pairs: [[1, 2]] },
  '[method]descriptor.remove-directory-at': { pairs: [[1, 2]] },
  '[method]descriptor.unlink-file-at': { pairs: [[1, 2]] },
  '[method]descriptor.readlink-at': { pairs: [[1, 2]] },
  '[method]descriptor.rename-at': {
    pairs: [
      [1, 2],
      [4, 5],
    ],
  },
  '[method]descriptor.symlink-at': {
    pairs: [
      [1, 2],
      [3, 4],
    ],
  },
  '[method]descriptor.link-at': {
    pairs: [
      [2, 3],
      [5, 6],
    ],
  },
  '[method]descriptor.write': { pairs: [[1, 2]], data: true },
};

/**
 * wasi:filesystem/types as a core module imports it, guarded (decision 2191): a path longer than
 * any path may be, or a write longer than any file may be, is handed to jco cut to nothing (so it
 * is never decoded or copied out of the guest's memory) and the file system answers the call
 * `name-too-long` / `file-too-large` unread. What is let through is bounded (512 bytes a path,
 * 1 MiB a write) and charged by the file system.
 */
export function guardFilesystemImports(types: Record<string, unknown>, files: AgentFileSystem): Record<string, unknown> {
  const out: Record<string, unknown> = { ...types };
  for (const [name, lift] of Object.entries(FILESYSTEM_LIFTS)) {
    const orig = types[name];
    if (typeof orig !== 'function') continue;
    const f = orig as CoreFn;
    const cap = lift.data ? files.limits.maxFileBytes : files.limits.maxPathBytes;
    out[name] = (...args: number[]) => {
      if (lift.pairs.every(([, len]) => args[len]! >>> 0 <= cap)) return f(...args);
      const cut = [...args];
      for (const [ptr, len] of lift.pairs) {
        cut[ptr] = 0;
        cut[len] = 0;
      }
      return refusedUnread(files, lift.data ? 'file-too-large' : 'name-too-long', () => f(...cut));
    };
  }
  return out;
}

/** Runs the glue's call with its oversized argument cut to nothing, the file system told to refuse it. */
function refusedUnread(files: AgentFileSystem, code: 'file-too-large' | 'name-too-long', call: () => unknown): unknown {
  files.refuseNextCall(code);
  try {
    return call();
  } finally {
    files.refuseNextCall(undefined);
  }
}

/** The drop of an output-stream handle, as a core module imports it from wasi:io/streams. */
const OUTPUT_STREAM_DROP = '[resource-drop]output-stream';
/** The functions handing out the log's streams: `wasi:cli/stdout` and `wasi:cli/stderr`, () -> handle. */
const LOG_STREAM_GETTERS = ['get-stdout', 'get-stderr'];

/**
 * The output-stream handles of stdout and stderr in one instance: noted as the getters return
 * them, forgotten when the guest drops them (a handle number is unique among live handles of its
 * table, and may be reused after a drop). Only their writes are cut to the call's output budget.
 */
export class LogStreamHandles {
  private readonly live = new Set<number>();

  isLog(handle: number): boolean {
    return this.live.has(handle);
  }

  dropped(handle: number): void {
    this.live.delete(handle);
  }

  /** `wasi:cli/stdout` or `stderr` as a core module imports it, its getter noting the handle it returns. */
  guardGetters(imports: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = { ...imports };
    for (const name of LOG_STREAM_GETTERS) {
      const orig = imports[name];
      if (typeof orig !== 'function') continue;
      out[name] = () => {
        const handle = (orig as () => number)();
        this.live.add(handle);
        return handle;
      };
    }
    return out;
  }
}

/**
 * Which memory the glue stores a write's result in. jco lowers into its `memory0`, but the guard
 * sees only the memories the glue took (a JavaScript agent has two: the engine's and the WASI
 * adapter's). With one, it is that one; with several, it is learnt from a write the glue answers:
 * each candidate's byte at the retptr is set to a value no result has before, and the one the glue
 * overwrote is it (the others are restored). Until it is known, every write goes through the glue.
 */
class ResultMemory {
  private known: WebAssembly.Memory | null = null;

  constructor(private readonly memories: () => Iterable<WebAssembly.Memory>) {}

  /** The byte at `at` in the memory results are stored in; null if that is not known yet or `at` is outside it. */
  byteAt(at: number): Uint8Array | null {
    const memory = this.known ?? this.only();
    const offset = at >>> 0;
    if (memory === null || offset >= memory.buffer.byteLength) return null;
    return new Uint8Array(memory.buffer, offset, 1);
  }

  /** Runs the glue's write; while the memory is not known, learns it from where the glue stores the result. */
  throughGlue(write: () => unknown, at: number): unknown {
    if (this.known !== null) return write();
    const offset = at >>> 0;
    const candidates = [...this.memories()].filter((m) => offset < m.buffer.byteLength);
    const saved = candidates.map((m) => new Uint8Array(m.buffer)[offset]!);
    for (const m of candidates) new Uint8Array(m.buffer)[offset] = UNWRITTEN;
    try {
      return write();
    } finally {
      // A byte still UNWRITTEN was not the glue's: restored. (A grown memory has a new buffer: read afresh.)
      const written = candidates.filter((m, i) => {
        const bytes = new Uint8Array(m.buffer);
        if (bytes[offset] !== UNWRITTEN) return true;
        bytes[offset] = saved[i]!;
        return false;
      });
      if (written.length === 1) this.known = written[0]!;
    }
  }

  private only(): WebAssembly.Memory | null {
    let only: WebAssembly.Memory | null = null;
    for (const m of this.memories()) {
      if (only !== null) return null;
      only = m;
    }
    return only;
  }
}
