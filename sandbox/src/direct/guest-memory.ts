/**
 * Lifting and lowering the world's values to and from one guest's linear memory, following the
 * canonical ABI (CanonicalABI.md) for the layouts in abi.ts and the component's declared string
 * encoding (utf8, or utf16 — AssemblyScript's native strings). Every pointer the guest hands over is
 * bounds- and alignment-checked, every discriminant range-checked; a violation throws AbiViolation
 * (reported as `crashed: malformed-result`). Memory can grow during any realloc call, so views are
 * re-taken whenever the buffer changed.
 *
 * Lifting is bounded: while `lift` holds a budget, every string and list is counted against it
 * before it is decoded or allocated (lift-budget.ts), so aliased strings cannot amplify.
 */
import '../webassembly-types.js';
import { AbiViolation } from '../errors.js';
import type { LiftBudget } from '../host/lift-budget.js';
import type { WitAclMessage, WitAgentId, WitInitContext, WitServiceDescription } from '../host/wit-values.js';
import type { WitHttpRequest } from '../host/http-request.js';
import {
  A2A_CALL_FLAT,
  AGENT_ID,
  FETCH_FLAT,
  KIND_RESULT,
  MSG,
  OPT_AGENT_ID,
  OPT_STRING,
  OPT_U64,
  PAIR,
  PERFORMATIVE_CASES,
  RESULT,
  SLICE,
} from '../abi.js';
import {
  A2A_OPERATIONS,
  A2A_VERSIONS,
  type A2aCallSpec as WitA2aCall,
  type AclMessage,
  type AgentId,
  type Performative,
} from '@caxton/core';
import { replyByToWit, userParamsToWit } from '../host/convert.js';

export type Realloc = (oldPtr: number, oldSize: number, align: number, newSize: number) => number;

/** An agent id as lowering reads it: the world's (`WitAgentId`) or the runtime's (`AgentId`, no addresses = none). */
interface LowerableAgentId {
  readonly name: string;
  readonly addresses?: readonly string[] | undefined;
}

/** The fields of a message that both the world's and the runtime's message hold alike. */
interface LowerableMessage {
  readonly performative: string;
  readonly sender?: LowerableAgentId | null | undefined;
  readonly receivers: readonly LowerableAgentId[];
  readonly content?: string | null | undefined;
  readonly language?: string | null | undefined;
  readonly encoding?: string | null | undefined;
  readonly ontology?: string | null | undefined;
  readonly protocol?: string | null | undefined;
  readonly conversationId?: string | null | undefined;
  readonly replyWith?: string | null | undefined;
  readonly inReplyTo?: string | null | undefined;
}

const NO_IDS: readonly LowerableAgentId[] = Object.freeze([]);
const NO_PAIRS: [string, string][] = [];

const PERFORMATIVE_INDEX = new Map<string, number>(PERFORMATIVE_CASES.map((p, i) => [p, i]));
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
/** For a prefix cut at a byte count: its last character may be cut in half (shown as U+FFFD). */
const lenientUtf8Decoder = new TextDecoder('utf-8');
const utf16Decoder = new TextDecoder('utf-16le');
const utf8Encoder = new TextEncoder();
/** UTF-16 strings up to this many code units are built unit by unit (faster than a TextDecoder call). */
const SHORT_UTF16 = 24;
/** Typed-array fast paths assume a little-endian host, like wasm memory (big-endian hosts use DataView). */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export class GuestMemory {
  private buffer: ArrayBuffer;
  private dv: DataView;
  private u8: Uint8Array;
  private u16: Uint16Array;
  /** Set once the instance exists (the exports are needed to allocate). */
  realloc: Realloc | null = null;
  /** The budget lifting is counted against, or null (lowering, tests). Set by `lifting`. */
  private lift: LiftBudget | null = null;
  /** Length of the string `writeString` wrote last (code units for utf16, bytes for utf8). */
  private written = 0;
  /** The last short UTF-16 string lifted of each length (`shortUtf16`), made on the first lift. */
  private recentShort: string[] | null = null;

  constructor(
    private readonly memory: WebAssembly.Memory,
    readonly encoding: 'utf8' | 'utf16',
  ) {
    this.buffer = memory.buffer;
    this.dv = new DataView(this.buffer);
    this.u8 = new Uint8Array(this.buffer);
    this.u16 = new Uint16Array(this.buffer);
  }

  /**
   * Re-takes the views if the guest grew its memory. Memory only changes while guest code runs, so
   * this is called whenever control comes back from the guest: at the start of every host import,
   * after every realloc, after every export call.
   */
  sync(): void {
    // Growing a wasm memory detaches its old ArrayBuffer (byteLength 0): a cheap test that avoids
    // the Memory.buffer getter on every call.
    if (this.buffer.byteLength !== 0) return;
    const buffer = this.memory.buffer;
    if (this.buffer !== buffer) {
      this.buffer = buffer;
      this.dv = new DataView(buffer);
      this.u8 = new Uint8Array(buffer);
      this.u16 = new Uint16Array(buffer);
    }
  }

  /** Checks `[ptr, ptr+size)` is inside memory and `ptr` is aligned. */
  check(ptr: number, size: number, align: number, what: string): void {
    if (ptr % align !== 0) throw new AbiViolation(`${what}: pointer ${ptr} is not ${align}-aligned`);
    if (ptr < 0 || size < 0 || ptr + size > this.buffer.byteLength) {
      throw new AbiViolation(`${what}: [${ptr}, ${ptr + size}) is outside the agent's memory of ${this.buffer.byteLength} bytes`);
    }
  }

  /**
   * A block of the guest's, from its `cabi_realloc`. Nothing is allocated for zero bytes, and the
   * address is then the alignment, as jco lowers it: never 0, which Rust's generated bindings
   * would lift into a null `String` (undefined behaviour; `Some("")` read as `None`, decision 2203).
   */
  private alloc(size: number, align: number, what: string): number {
    if (size === 0) return align;
    if (!this.realloc) throw new AbiViolation(`${what}: the agent called the host before it was instantiated`);
    const ptr = this.realloc(0, 0, align, size) >>> 0;
    this.sync();
    // The message is only built on failure: this runs once per lowered string (N per delivery of
    // a message to N receivers), and a string per call was a visible share of the garbage.
    if (ptr % align !== 0 || ptr + size > this.buffer.byteLength) this.check(ptr, size, align, `${what} (cabi_realloc result)`);
    return ptr;
  }

  // ---------- lifting (guest → host) ----------

  /** Runs `fn` with every string and list it lifts counted against `budget`. */
  lifting<T>(budget: LiftBudget, fn: () => T): T {
    this.lift = budget;
    try {
      return fn();
    } finally {
      this.lift = null;
    }
  }

  /**
   * At most the first `max` code units of a string: the rest is never read (log messages longer
   * than a log line are cut before they are lifted).
   */
  stringPrefix(ptr: number, len: number, max: number, what: string): string {
    len >>>= 0;
    if (len <= max) return this.string(ptr, len, what);
    if (this.encoding === 'utf16') return this.string(ptr, max, what);
    ptr >>>= 0;
    this.check(ptr, max, 1, what);
    return lenientUtf8Decoder.decode(this.u8.subarray(ptr, ptr + max));
  }

  u8At(ptr: number): number {
    return this.dv.getUint8(ptr);
  }

  u32At(ptr: number): number {
    return this.dv.getUint32(ptr, true);
  }

  string(ptr: number, len: number, what: string): string {
    ptr >>>= 0;
    len >>>= 0;
    if (len === 0) return '';
    this.lift?.string(len);
    if (this.encoding === 'utf16') {
      this.check(ptr, len * 2, 2, what);
      if (len <= SHORT_UTF16 && LITTLE_ENDIAN) return this.shortUtf16(ptr >>> 1, len);
      return utf16Decoder.decode(this.u8.subarray(ptr, ptr + len * 2));
    }
    this.check(ptr, len, 1, what);
    try {
      return utf8Decoder.decode(this.u8.subarray(ptr, ptr + len));
    } catch {
      throw new AbiViolation(`${what}: invalid UTF-8`);
    }
  }

  /**
   * A short UTF-16 string at code unit `base` (bounds checked and counted by the caller). The last
   * one lifted of each length is kept, and given again when memory holds the same code units:
   * an agent sends the same names, conversation and protocol message after message, and comparing
   * a few code units costs less than building the string one unit at a time (each `+=` of a short
   * string copies it whole) — decision 2112. Every unit is compared, so the result is the same.
   */
  private shortUtf16(base: number, len: number): string {
    const u16 = this.u16;
    const recent = (this.recentShort ??= new Array<string>(SHORT_UTF16 + 1).fill(''));
    const last = recent[len]!;
    if (last.length === len) {
      let i = 0;
      while (i < len && last.charCodeAt(i) === u16[base + i]) i++;
      if (i === len) return last;
    }
    let s = '';
    for (let i = 0; i < len; i++) s += String.fromCharCode(u16[base + i]!);
    recent[len] = s;
    return s;
  }

  private stringAt(at: number, what: string): string {
    return this.string(this.dv.getUint32(at, true), this.dv.getUint32(at + 4, true), what);
  }

  private disc(at: number, cases: number, what: string): number {
    const d = this.dv.getUint8(at);
    if (d >= cases) throw new AbiViolation(`${what}: discriminant ${d} out of range`);
    return d;
  }

  private optString(at: number, what: string): string | undefined {
    return this.disc(at, 2, what) === 0 ? undefined : this.stringAt(at + OPT_STRING.payload, what);
  }

  list<T>(at: number, elemSize: number, align: number, what: string, item: (p: number) => T): T[] {
    const ptr = this.dv.getUint32(at, true);
    const len = this.dv.getUint32(at + 4, true);
    if (len === 0) return [];
    this.lift?.list(len);
    this.check(ptr, len * elemSize, align, what);
    const out: T[] = new Array(len);
    for (let i = 0; i < len; i++) out[i] = item(ptr + i * elemSize);
    return out;
  }

  stringList(at: number, what: string): string[] {
    return this.list(at, 8, 4, what, (p) => this.stringAt(p, what));
  }

  pairList(at: number, what: string): [string, string][] {
    return this.list(at, PAIR.size, PAIR.align, what, (p) => [this.stringAt(p, what), this.stringAt(p + PAIR.second, what)]);
  }

  agentId(at: number, what: string): WitAgentId {
    return { name: this.stringAt(at + AGENT_ID.name, what), addresses: this.stringList(at + AGENT_ID.addresses, what) };
  }

  message(ptr: number): WitAclMessage {
    ptr >>>= 0;
    this.check(ptr, MSG.size, MSG.align, 'acl-message');
    const p = this.disc(ptr + MSG.performative, PERFORMATIVE_CASES.length, 'performative');
    const m: WitAclMessage = {
      performative: PERFORMATIVE_CASES[p] as Performative,
      sender: this.disc(ptr + MSG.sender, 2, 'sender') === 0 ? undefined : this.agentId(ptr + MSG.sender + OPT_AGENT_ID.payload, 'sender'),
      receivers: this.list(ptr + MSG.receivers, AGENT_ID.size, AGENT_ID.align, 'receivers', (q) => this.agentId(q, 'receivers')),
      replyTo: this.list(ptr + MSG.replyTo, AGENT_ID.size, AGENT_ID.align, 'reply-to', (q) => this.agentId(q, 'reply-to')),
      userParams: this.pairList(ptr + MSG.userParams, 'user-params'),
      // Named one by one, in WIT order (MSG_OPTIONAL_STRINGS), after the lists as before: a loop
      // over the names made each a megamorphic keyed store, eight per message sent (decision 2108).
      content: this.optString(ptr + MSG.content, 'content'),
      language: this.optString(ptr + MSG.language, 'language'),
      encoding: this.optString(ptr + MSG.encoding, 'encoding'),
      ontology: this.optString(ptr + MSG.ontology, 'ontology'),
      protocol: this.optString(ptr + MSG.protocol, 'protocol'),
      conversationId: this.optString(ptr + MSG.conversationId, 'conversationId'),
      replyWith: this.optString(ptr + MSG.replyWith, 'replyWith'),
      inReplyTo: this.optString(ptr + MSG.inReplyTo, 'inReplyTo'),
      replyBy:
        this.disc(ptr + MSG.replyBy, 2, 'reply-by') === 0 ? undefined : this.dv.getBigUint64(ptr + MSG.replyBy + OPT_U64.payload, true),
    };
    return m;
  }

  /** Code units of the strings `messageAcl` lifted last (plus 8 for a reply-by): `witMessageSize`'s measure. */
  liftedUnits = 0;

  /** An agent id straight to the runtime's shape (`agentIdFromWit`), its code units added to `liftedUnits`. */
  private aclAgentId(at: number, what: string): AgentId {
    const name = this.stringAt(at + AGENT_ID.name, what);
    const addresses = this.stringList(at + AGENT_ID.addresses, what);
    let units = name.length;
    for (let i = 0; i < addresses.length; i++) units += addresses[i]!.length;
    this.liftedUnits += units;
    return addresses.length > 0 ? { name, addresses } : { name };
  }

  private aclOptString(at: number, what: string): string | undefined {
    const v = this.optString(at, what);
    if (v !== undefined) this.liftedUnits += v.length;
    return v;
  }

  /**
   * A message the guest sent, lifted straight to the runtime's shape: what `messageFromWit` makes
   * of `message(ptr)`, with the same reads, checks and budget counts in the same order, and its
   * size (`witMessageSize` of the world value, the guest's ignored sender included) left in
   * `liftedUnits` — no world value, agent ids and lists built per send (decision 2108).
   */
  messageAcl(ptr: number): AclMessage {
    ptr >>>= 0;
    this.liftedUnits = 0;
    this.check(ptr, MSG.size, MSG.align, 'acl-message');
    const p = this.disc(ptr + MSG.performative, PERFORMATIVE_CASES.length, 'performative');
    // The sender is read, checked and counted like the rest; the bus stamps its own.
    if (this.disc(ptr + MSG.sender, 2, 'sender') !== 0) this.aclAgentId(ptr + MSG.sender + OPT_AGENT_ID.payload, 'sender');
    const m: AclMessage = {
      performative: PERFORMATIVE_CASES[p] as Performative,
      receivers: this.list(ptr + MSG.receivers, AGENT_ID.size, AGENT_ID.align, 'receivers', (q) => this.aclAgentId(q, 'receivers')),
    };
    const replyTo = this.list(ptr + MSG.replyTo, AGENT_ID.size, AGENT_ID.align, 'reply-to', (q) => this.aclAgentId(q, 'reply-to'));
    if (replyTo.length > 0) m.replyTo = replyTo;
    const params = this.pairList(ptr + MSG.userParams, 'user-params');
    // In WIT order, as `message` reads them; absent fields are left out, as `messageFromWit` does.
    const content = this.aclOptString(ptr + MSG.content, 'content');
    if (content !== undefined) m.content = content;
    const language = this.aclOptString(ptr + MSG.language, 'language');
    if (language !== undefined) m.language = language;
    const encoding = this.aclOptString(ptr + MSG.encoding, 'encoding');
    if (encoding !== undefined) m.encoding = encoding;
    const ontology = this.aclOptString(ptr + MSG.ontology, 'ontology');
    if (ontology !== undefined) m.ontology = ontology;
    const protocol = this.aclOptString(ptr + MSG.protocol, 'protocol');
    if (protocol !== undefined) m.protocol = protocol;
    const conversationId = this.aclOptString(ptr + MSG.conversationId, 'conversationId');
    if (conversationId !== undefined) m.conversationId = conversationId;
    const replyWith = this.aclOptString(ptr + MSG.replyWith, 'replyWith');
    if (replyWith !== undefined) m.replyWith = replyWith;
    const inReplyTo = this.aclOptString(ptr + MSG.inReplyTo, 'inReplyTo');
    if (inReplyTo !== undefined) m.inReplyTo = inReplyTo;
    if (this.disc(ptr + MSG.replyBy, 2, 'reply-by') !== 0) {
      // Past 2^53 ms the number is inexact: the bus's validation reports it, as before.
      m.replyBy = Number(this.dv.getBigUint64(ptr + MSG.replyBy + OPT_U64.payload, true));
      this.liftedUnits += 8;
    }
    if (params.length > 0) {
      for (let i = 0; i < params.length; i++) this.liftedUnits += params[i]![0].length + params[i]![1].length;
      m.userParams = Object.fromEntries(params);
    }
    return m;
  }

  /** service-description from its 12 flat values (six slices). */
  serviceFlat(flat: number[]): WitServiceDescription {
    const slice = (i: number) => [flat[i * 2]! >>> 0, flat[i * 2 + 1]! >>> 0] as const;
    const strings = (i: number, what: string): string[] => {
      const [ptr, len] = slice(i);
      if (len === 0) return [];
      this.lift?.list(len);
      this.check(ptr, len * 8, 4, what);
      return Array.from({ length: len }, (_, k) => this.stringAt(ptr + k * 8, what));
    };
    const [pPtr, pLen] = slice(5);
    let properties: [string, string][] = [];
    if (pLen > 0) {
      this.lift?.list(pLen);
      this.check(pPtr, pLen * PAIR.size, PAIR.align, 'properties');
      properties = Array.from({ length: pLen }, (_, k) => {
        const q = pPtr + k * PAIR.size;
        return [this.stringAt(q, 'properties'), this.stringAt(q + PAIR.second, 'properties')] as [string, string];
      });
    }
    return {
      name: this.string(slice(0)[0], slice(0)[1], 'service name'),
      type: this.string(slice(1)[0], slice(1)[1], 'service type'),
      protocols: strings(2, 'protocols'),
      ontologies: strings(3, 'ontologies'),
      languages: strings(4, 'languages'),
      properties,
    };
  }

  /** An `option<T>` discriminant passed as a flat value. */
  private flatDisc(d: number, what: string): boolean {
    if (d >>> 0 > 1) throw new AbiViolation(`${what}: discriminant ${d >>> 0} out of range`);
    return d >>> 0 === 1;
  }

  /** An `option<string>` passed as three flat values (disc, ptr, len). */
  optStringFlat(disc: number, ptr: number, len: number, what: string): string | undefined {
    return this.flatDisc(disc, what) ? this.string(ptr, len, what) : undefined;
  }

  /** fetch's `request` record from its 14 flat values (FETCH_FLAT), counted against the lift budget. */
  httpRequestFlat(flat: number[]): WitHttpRequest {
    const f = FETCH_FLAT;
    const method = this.string(flat[f.method]!, flat[f.method + 1]!, 'method');
    const url = this.string(flat[f.url]!, flat[f.url + 1]!, 'url');
    const headers = this.pairListFlat(flat[f.headers]!, flat[f.headers + 1]!, 'headers');
    const body = this.optStringFlat(flat[f.body]!, flat[f.body + 1]!, flat[f.body + 2]!, 'body');
    const timeoutMs = this.flatDisc(flat[f.timeout]!, 'timeout-ms') ? flat[f.timeout + 1]! >>> 0 : undefined;
    const context = this.optStringFlat(flat[f.context]!, flat[f.context + 1]!, flat[f.context + 2]!, 'context');
    return { method, url, headers, body, timeoutMs, context };
  }

  /** a2a's `call` record from its 16 flat values (A2A_CALL_FLAT), counted against the lift budget. */
  a2aCallFlat(flat: number[]): WitA2aCall {
    const f = A2A_CALL_FLAT;
    const operation = A2A_OPERATIONS[flat[f.operation]! >>> 0];
    if (operation === undefined) throw new AbiViolation(`a2a start: operation ${flat[f.operation]! >>> 0} out of range`);
    const version = A2A_VERSIONS[flat[f.version]! >>> 0];
    if (version === undefined) throw new AbiViolation(`a2a start: version ${flat[f.version]! >>> 0} out of range`);
    const url = this.string(flat[f.url]!, flat[f.url + 1]!, 'url');
    const subject = this.string(flat[f.subject]!, flat[f.subject + 1]!, 'subject');
    const contextId = this.optStringFlat(flat[f.contextId]!, flat[f.contextId + 1]!, flat[f.contextId + 2]!, 'context-id');
    const headers = this.pairListFlat(flat[f.headers]!, flat[f.headers + 1]!, 'headers');
    const timeoutMs = this.flatDisc(flat[f.timeout]!, 'timeout-ms') ? flat[f.timeout + 1]! >>> 0 : undefined;
    const context = this.optStringFlat(flat[f.context]!, flat[f.context + 1]!, flat[f.context + 2]!, 'context');
    return { operation, url, version, subject, contextId, headers, timeoutMs, context };
  }

  /** A `list<tuple<string, string>>` passed as (ptr, len), counted against the lift budget. */
  private pairListFlat(ptr: number, len: number, what: string): [string, string][] {
    const hPtr = ptr >>> 0;
    const hLen = len >>> 0;
    if (hLen === 0) return [];
    this.lift?.list(hLen);
    this.check(hPtr, hLen * PAIR.size, PAIR.align, what);
    const out = new Array<[string, string]>(hLen);
    for (let k = 0; k < hLen; k++)
      out[k] = [this.stringAt(hPtr + k * PAIR.size, what), this.stringAt(hPtr + k * PAIR.size + PAIR.second, what)];
    return out;
  }

  /**
   * A `result<_, string>` the guest left at `ptr`: null for ok, else the error — refused, before
   * it is decoded, when longer than `maxUnits` code units.
   */
  result(ptr: number, what: string, maxUnits: number): string | null {
    this.sync();
    ptr >>>= 0;
    this.check(ptr, RESULT.size, RESULT.align, what);
    if (this.disc(ptr, 2, what) === 0) return null;
    const len = this.dv.getUint32(ptr + RESULT.payload + 4, true);
    if (len > maxUnits) throw new AbiViolation(`${what}: the error string has ${len} code units, more than ${maxUnits}`);
    return this.stringAt(ptr + RESULT.payload, what);
  }

  // ---------- lowering (host → guest) ----------

  /** Allocates and writes a string; returns [ptr, length in code units/bytes]. */
  lowerString(s: string, what: string): [number, number] {
    const ptr = this.writeString(s, what);
    return [ptr, this.written];
  }

  /**
   * Allocates and writes a string; returns its address and leaves its length (code units or bytes)
   * in `written`. No pair per string: a message to N receivers lowers N names per delivery, and
   * those pairs were a visible share of the shard's garbage (decision 1202).
   */
  private writeString(s: string, what: string): number {
    if (s.length === 0) {
      this.written = 0;
      return this.encoding === 'utf16' ? 2 : 1; // never 0: see alloc
    }
    if (this.encoding === 'utf16') {
      const ptr = this.alloc(s.length * 2, 2, what);
      if (LITTLE_ENDIAN) {
        const u16 = this.u16;
        const base = ptr >>> 1;
        for (let i = 0; i < s.length; i++) u16[base + i] = s.charCodeAt(i);
      } else {
        for (let i = 0; i < s.length; i++) this.dv.setUint16(ptr + i * 2, s.charCodeAt(i), true);
      }
      this.written = s.length;
      return ptr;
    }
    const bytes = Buffer.byteLength(s, 'utf8');
    const ptr = this.alloc(bytes, 1, what);
    utf8Encoder.encodeInto(s, this.u8.subarray(ptr, ptr + bytes));
    this.written = bytes;
    return ptr;
  }

  private storeString(at: number, s: string, what: string): void {
    const ptr = this.writeString(s, what);
    this.dv.setUint32(at, ptr, true);
    this.dv.setUint32(at + 4, this.written, true);
  }

  private storeList<T>(
    at: number,
    items: readonly T[],
    elemSize: number,
    align: number,
    what: string,
    store: (p: number, item: T) => void,
  ): void {
    const ptr = this.alloc(items.length * elemSize, align, what);
    for (let i = 0; i < items.length; i++) store(ptr + i * elemSize, items[i]!);
    this.dv.setUint32(at, ptr, true);
    this.dv.setUint32(at + 4, items.length, true);
  }

  private storeAgentId(at: number, id: LowerableAgentId, what: string): void {
    this.storeString(at + AGENT_ID.name, id.name, what);
    const addresses = id.addresses;
    if (addresses == null || addresses.length === 0) {
      // The usual case, without a closure per agent id: an empty list is (align, 0), as alloc gives.
      this.dv.setUint32(at + AGENT_ID.addresses, SLICE.align, true);
      this.dv.setUint32(at + AGENT_ID.addresses + 4, 0, true);
    } else {
      this.storeList(at + AGENT_ID.addresses, addresses, SLICE.size, SLICE.align, what, (p, a) => this.storeString(p, a, what));
    }
  }

  /** list<agent-id> at `at`: a plain loop, since a receiver list can be long. */
  private storeAgentIds(at: number, ids: readonly LowerableAgentId[], what: string): void {
    const ptr = this.alloc(ids.length * AGENT_ID.size, AGENT_ID.align, what);
    for (let i = 0; i < ids.length; i++) this.storeAgentId(ptr + i * AGENT_ID.size, ids[i]!, what);
    this.dv.setUint32(at, ptr, true);
    this.dv.setUint32(at + 4, ids.length, true);
  }

  private storePairs(at: number, pairs: readonly (readonly [string, string])[], what: string): void {
    this.storeList(at, pairs, PAIR.size, PAIR.align, what, (p, [k, v]) => {
      this.storeString(p, k, what);
      this.storeString(p + PAIR.second, v, what);
    });
  }

  private storeOptString(at: number, v: string | null | undefined, what: string): void {
    if (v === undefined || v === null) this.dv.setUint8(at, 0);
    else {
      this.dv.setUint8(at, 1);
      this.storeString(at + OPT_STRING.payload, v, what);
    }
  }

  /** Allocates an acl-message record and writes `m` into it; returns its address. */
  lowerMessage(m: WitAclMessage): number {
    return this.lowerFields(m, m.replyTo, m.replyBy, m.userParams);
  }

  /**
   * Writes a runtime message as `messageToWit` would convert it (no narrowing: a message with more
   * receivers than `MESSAGE_INFO_LIMITS.inlineReceivers` goes through the conversion), the same
   * bytes in the same allocation order, without building the world value first (decision 2108).
   */
  lowerAclMessage(m: AclMessage): number {
    return this.lowerFields(
      m,
      m.replyTo ?? NO_IDS,
      replyByToWit(m.replyBy),
      m.userParams == null ? NO_PAIRS : userParamsToWit(m.userParams),
    );
  }

  private lowerFields(
    m: LowerableMessage,
    replyTo: readonly LowerableAgentId[],
    replyBy: bigint | null | undefined,
    userParams: readonly (readonly [string, string])[],
  ): number {
    const ptr = this.alloc(MSG.size, MSG.align, 'acl-message');
    const p = PERFORMATIVE_INDEX.get(m.performative);
    if (p === undefined) throw new TypeError(`unknown performative ${m.performative}`);
    this.dv.setUint8(ptr + MSG.performative, p);
    if (m.sender) {
      this.dv.setUint8(ptr + MSG.sender, 1);
      this.storeAgentId(ptr + MSG.sender + OPT_AGENT_ID.payload, m.sender, 'sender');
    } else {
      this.dv.setUint8(ptr + MSG.sender, 0);
    }
    this.storeAgentIds(ptr + MSG.receivers, m.receivers, 'receivers');
    this.storeAgentIds(ptr + MSG.replyTo, replyTo, 'reply-to');
    // One by one, in WIT order (MSG_OPTIONAL_STRINGS): a loop over the names read each field with
    // a megamorphic keyed load (decision 2108).
    this.storeOptString(ptr + MSG.content, m.content, 'content');
    this.storeOptString(ptr + MSG.language, m.language, 'language');
    this.storeOptString(ptr + MSG.encoding, m.encoding, 'encoding');
    this.storeOptString(ptr + MSG.ontology, m.ontology, 'ontology');
    this.storeOptString(ptr + MSG.protocol, m.protocol, 'protocol');
    this.storeOptString(ptr + MSG.conversationId, m.conversationId, 'conversationId');
    this.storeOptString(ptr + MSG.replyWith, m.replyWith, 'replyWith');
    this.storeOptString(ptr + MSG.inReplyTo, m.inReplyTo, 'inReplyTo');
    if (replyBy === undefined || replyBy === null) this.dv.setUint8(ptr + MSG.replyBy, 0);
    else {
      this.dv.setUint8(ptr + MSG.replyBy, 1);
      this.dv.setBigUint64(ptr + MSG.replyBy + OPT_U64.payload, replyBy, true);
    }
    this.storePairs(ptr + MSG.userParams, userParams, 'user-params');
    return ptr;
  }

  /** init-context flattened to its 6 core values. */
  lowerInitContext(ctx: WitInitContext): number[] {
    const [namePtr, nameLen] = this.lowerString(ctx.self.name, 'self');
    const addrPtr = this.alloc(ctx.self.addresses.length * 8, 4, 'addresses');
    ctx.self.addresses.forEach((a, i) => this.storeString(addrPtr + i * 8, a, 'addresses'));
    const cfgPtr = this.alloc(ctx.config.length * PAIR.size, PAIR.align, 'config');
    ctx.config.forEach(([k, v], i) => {
      this.storeString(cfgPtr + i * PAIR.size, k, 'config');
      this.storeString(cfgPtr + i * PAIR.size + PAIR.second, v, 'config');
    });
    return [namePtr, nameLen, addrPtr, ctx.self.addresses.length, cfgPtr, ctx.config.length];
  }

  /** Writes `result<_, string>` at a guest-provided return pointer. */
  storeResult(ret: number, error: string | null): void {
    ret >>>= 0;
    this.check(ret, RESULT.size, RESULT.align, 'return area');
    if (error === null) {
      this.dv.setUint8(ret, 0);
      return;
    }
    this.dv.setUint8(ret, 1);
    const [ptr, len] = this.lowerString(error, 'error');
    this.check(ret, RESULT.size, RESULT.align, 'return area');
    this.dv.setUint32(ret + RESULT.payload, ptr, true);
    this.dv.setUint32(ret + RESULT.payload + 4, len, true);
  }

  /** Writes a string's (ptr, len) at a guest-provided return pointer. */
  storeStringResult(ret: number, s: string): void {
    ret >>>= 0;
    this.check(ret, 8, 4, 'return area');
    const [ptr, len] = this.lowerString(s, 'string result');
    this.check(ret, 8, 4, 'return area');
    this.dv.setUint32(ret, ptr, true);
    this.dv.setUint32(ret + 4, len, true);
  }

  /** Writes `option<string>` at a guest-provided return pointer. */
  storeOptStringResult(ret: number, s: string | undefined): void {
    ret >>>= 0;
    this.check(ret, OPT_STRING.size, 4, 'return area');
    if (s === undefined) {
      this.dv.setUint8(ret, 0);
      return;
    }
    const [ptr, len] = this.lowerString(s, 'string result');
    this.check(ret, OPT_STRING.size, 4, 'return area');
    this.dv.setUint8(ret, 1);
    this.dv.setUint32(ret + OPT_STRING.payload, ptr, true);
    this.dv.setUint32(ret + OPT_STRING.payload + 4, len, true);
  }

  /**
   * Writes `result<_, state-error>` / `result<string, http-error>` at a guest-provided return
   * pointer: `ok` (with its string, if any) or the error's kind index and message.
   */
  storeKindResult(ret: number, result: { ok: string | null } | { kind: number; message: string }): void {
    ret >>>= 0;
    this.check(ret, KIND_RESULT.size, KIND_RESULT.align, 'return area');
    if ('ok' in result) {
      if (result.ok !== null) {
        const [ptr, len] = this.lowerString(result.ok, 'string result');
        this.check(ret, KIND_RESULT.size, KIND_RESULT.align, 'return area');
        this.dv.setUint32(ret + KIND_RESULT.payload, ptr, true);
        this.dv.setUint32(ret + KIND_RESULT.payload + 4, len, true);
      }
      this.dv.setUint8(ret, 0);
      return;
    }
    // The host's own kind names, found in the WIT's list: -1 is a host bug, never a guest's value
    // (generated bindings trust a discriminant in a release build).
    if (!(result.kind >= 0)) throw new RangeError(`the host lowered an error kind missing from the WIT: ${result.message.slice(0, 80)}`);
    const [ptr, len] = this.lowerString(result.message, 'error message');
    this.check(ret, KIND_RESULT.size, KIND_RESULT.align, 'return area');
    this.dv.setUint8(ret, 1);
    this.dv.setUint8(ret + KIND_RESULT.kind, result.kind);
    this.dv.setUint32(ret + KIND_RESULT.message, ptr, true);
    this.dv.setUint32(ret + KIND_RESULT.message + 4, len, true);
  }

  /** Writes list<string> as (ptr, len) at a guest-provided return pointer. */
  storeStringListResult(ret: number, items: readonly string[]): void {
    ret >>>= 0;
    this.check(ret, 8, 4, 'return area');
    const ptr = this.alloc(items.length * 8, 4, 'string list');
    for (let i = 0; i < items.length; i++) this.storeString(ptr + i * 8, items[i]!, 'string list');
    this.check(ret, 8, 4, 'return area');
    this.dv.setUint32(ret, ptr, true);
    this.dv.setUint32(ret + 4, items.length, true);
  }

  /**
   * Writes `result<list<agent-id>, message-info-error>` at a guest-provided return pointer: the ids'
   * (ptr, len) as the ok payload, or the error's kind index and message (decision 2001).
   */
  storeAgentIdsKindResult(ret: number, result: { ok: readonly WitAgentId[] } | { kind: number; message: string }): void {
    ret >>>= 0;
    if (!('ok' in result)) {
      this.storeKindResult(ret, result);
      return;
    }
    this.check(ret, KIND_RESULT.size, KIND_RESULT.align, 'return area');
    this.storeAgentIds(ret + KIND_RESULT.payload, result.ok, 'receivers');
    this.check(ret, KIND_RESULT.size, KIND_RESULT.align, 'return area');
    this.dv.setUint8(ret, 0);
  }

  /** Writes list<agent-id> as (ptr, len) at a guest-provided return pointer. */
  storeAgentIdsResult(ret: number, ids: readonly WitAgentId[]): void {
    ret >>>= 0;
    this.check(ret, 8, 4, 'return area');
    const ptr = this.alloc(ids.length * AGENT_ID.size, AGENT_ID.align, 'agent-id list');
    ids.forEach((id, i) => this.storeAgentId(ptr + i * AGENT_ID.size, id, 'agent-id list'));
    this.check(ret, 8, 4, 'return area');
    this.dv.setUint32(ret, ptr, true);
    this.dv.setUint32(ret + 4, ids.length, true);
  }
}
