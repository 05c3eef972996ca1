/**
 * Post-link step for Go agents (see docs/decisions/0507-go-agents.md).
 *
 * Go's wasip1 runtime calls WASI while it initialises, and the preview1 adapter allocates its own
 * state on that first call: through the main module's `cabi_realloc` when there is one (a Go
 * export, which aborts because Go is not initialised yet), else with `memory.grow` — where Go's
 * heap grows next, because Go's sbrk assumes it alone grows memory (the adapter's state is then
 * overwritten: "assertion failed at adapter line …"). So the SDK exports Go's allocator only as
 * `cabi_import_realloc`/`cabi_export_realloc` (what the canonical ABI uses) and reserves a
 * pointer-free array for the adapter; this module learns the array's address by running the core
 * module's initialisation once (stub WASI, nothing reachable) and appends a tiny bump allocator
 * over it, exported as `cabi_realloc`. Appending a function and a global shifts no index, so the
 * Go code is untouched.
 */
import { encodeName, encodeS32, encodeU32 } from '@caxton/core';

/** The SDK's export that reports the adapter arena: (address << 32) | size. */
export const ARENA_EXPORT = 'caxton_adapter_arena';

interface Section {
  id: number;
  body: Uint8Array;
}

function readU32(b: Uint8Array, pos: { i: number }): number {
  let result = 0;
  let shift = 0;
  for (;;) {
    const byte = b[pos.i++]!;
    result += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return result;
    shift += 7;
  }
}

function parse(core: Uint8Array): Section[] {
  const sections: Section[] = [];
  const pos = { i: 8 };
  while (pos.i < core.length) {
    const id = core[pos.i++]!;
    const size = readU32(core, pos);
    sections.push({ id, body: core.subarray(pos.i, pos.i + size) });
    pos.i += size;
  }
  return sections;
}

function vecItems(body: Uint8Array): { count: number; rest: Uint8Array } {
  const pos = { i: 0 };
  const count = readU32(body, pos);
  return { count, rest: body.subarray(pos.i) };
}

function concat(parts: ReadonlyArray<Uint8Array | number[]>): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Appends items (already encoded) to a vector section body. */
function appendVec(body: Uint8Array, items: number[][]): Uint8Array {
  const { count, rest } = vecItems(body);
  return concat([encodeU32(count + items.length), rest, ...items]);
}

/** Counts imported functions and globals. */
function importCounts(body: Uint8Array | undefined): { funcs: number; globals: number } {
  let funcs = 0;
  let globals = 0;
  if (!body) return { funcs, globals };
  const pos = { i: 0 };
  const count = readU32(body, pos);
  for (let k = 0; k < count; k++) {
    for (let part = 0; part < 2; part++) {
      // module, name
      const len = readU32(body, pos);
      pos.i += len;
    }
    const kind = body[pos.i++]!;
    if (kind === 0) {
      funcs++;
      readU32(body, pos);
    } else if (kind === 1) {
      pos.i++;
      const flags = body[pos.i++]!;
      readU32(body, pos);
      if (flags & 1) readU32(body, pos);
    } else if (kind === 2) {
      const flags = body[pos.i++]!;
      readU32(body, pos);
      if (flags & 1) readU32(body, pos);
    } else if (kind === 3) {
      globals++;
      pos.i += 2;
    } else throw new Error(`unknown import kind ${kind}`);
  }
  return { funcs, globals };
}

/** The export section without the named exports. */
function dropExports(body: Uint8Array, drop: ReadonlySet<string>): number[][] {
  const kept: number[][] = [];
  const pos = { i: 0 };
  const count = readU32(body, pos);
  for (let k = 0; k < count; k++) {
    const start = pos.i;
    const len = readU32(body, pos);
    const n = new TextDecoder().decode(body.subarray(pos.i, pos.i + len));
    pos.i += len;
    pos.i++; // kind
    readU32(body, pos);
    if (!drop.has(n)) kept.push([...body.subarray(start, pos.i)]);
  }
  return kept;
}

function encode(sections: Section[]): Uint8Array {
  const parts: Array<Uint8Array | number[]> = [[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]];
  for (const s of sections) parts.push([s.id, ...encodeU32(s.body.length)], s.body);
  return concat(parts);
}

/**
 * Adds `cabi_realloc` (a bump allocator over [base, base + size)) and removes the arena export.
 * Returns the patched module.
 */
export function addAdapterAllocator(core: Uint8Array, base: number, size: number): Uint8Array {
  const sections = parse(core);
  const find = (id: number): Section | undefined => sections.find((s) => s.id === id);
  const types = find(1);
  const funcs = find(3);
  const globals = find(6);
  const exports = find(7);
  const code = find(10);
  if (!types || !funcs || !globals || !exports || !code)
    throw new Error('the Go core module lacks a type, function, global, export or code section');
  const imported = importCounts(find(2)?.body);

  // type (i32 i32 i32 i32) -> i32, appended (an unused duplicate type is harmless)
  const typeIndex = vecItems(types.body).count;
  types.body = appendVec(types.body, [[0x60, 4, 0x7f, 0x7f, 0x7f, 0x7f, 1, 0x7f]]);
  const funcIndex = imported.funcs + vecItems(funcs.body).count;
  funcs.body = appendVec(funcs.body, [encodeU32(typeIndex)]);
  const globalIndex = imported.globals + vecItems(globals.body).count;
  globals.body = appendVec(globals.body, [[0x7f, 0x01, 0x41, ...encodeS32(base), 0x0b]]);

  const g = encodeU32(globalIndex);
  const body = [
    0x00, // no locals
    0x20,
    0,
    0x04,
    0x40,
    0x00,
    0x0b, // if (old != 0) unreachable: the adapter never reallocates
    0x23,
    ...g,
    0x20,
    2,
    0x6a,
    0x41,
    1,
    0x6b,
    0x41,
    0,
    0x20,
    2,
    0x6b,
    0x71, // (next + align - 1) & -align
    0x22,
    0, // ptr (reuses param 0)
    0x20,
    3,
    0x6a,
    0x22,
    1, // end = ptr + newSize (reuses param 1)
    0x41,
    ...encodeS32(base + size),
    0x4b,
    0x04,
    0x40,
    0x00,
    0x0b, // if (end > limit) unreachable
    0x20,
    1,
    0x24,
    ...g, // next = end
    0x20,
    0, // return ptr
    0x0b,
  ];
  code.body = appendVec(code.body, [[...encodeU32(body.length), ...body]]);

  const kept = dropExports(exports.body, new Set([ARENA_EXPORT, 'cabi_realloc']));
  kept.push([...encodeName('cabi_realloc'), 0x00, ...encodeU32(funcIndex)]);
  exports.body = concat([encodeU32(kept.length), ...kept]);
  return encode(sections);
}

// The compiler's lib settings (ES2023, no DOM) do not declare the WebAssembly global; Node has it.
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (m: object, imports: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
}
const Wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/**
 * Runs the module's initialisation with stub imports (no WASI: empty args and environment, a fake
 * clock and zero "randomness"; host imports that do nothing) and asks the SDK for its arena.
 */
export function findAdapterArena(core: Uint8Array): { base: number; size: number } {
  const mod = new Wasm.Module(core);
  let memory: { buffer: ArrayBuffer } | undefined;
  let clock = 1_000_000_000n;
  const view = (): DataView => new DataView(memory!.buffer);
  const wasi: Record<string, unknown> = {
    args_sizes_get: (a: number, b: number) => {
      view().setUint32(a, 0, true);
      view().setUint32(b, 0, true);
      return 0;
    },
    environ_sizes_get: (a: number, b: number) => {
      view().setUint32(a, 0, true);
      view().setUint32(b, 0, true);
      return 0;
    },
    args_get: () => 0,
    environ_get: () => 0,
    // Go's runtime refuses a clock at zero: a fixed, advancing fake.
    clock_time_get: (_id: number, _p: bigint, out: number) => {
      view().setBigUint64(out, (clock += 1_000_000n), true);
      return 0;
    },
    random_get: () => 0,
    fd_write: (_fd: number, _iovs: number, _n: number, out: number) => {
      view().setUint32(out, 0, true);
      return 0;
    },
    poll_oneoff: () => 0,
    sched_yield: () => 0,
    proc_exit: (code: number) => {
      throw new Error(`the Go runtime exited with ${code} while initialising`);
    },
  };
  const importsOf = (m: object): Array<{ module: string; name: string; kind: string }> =>
    (Wasm.Module as unknown as { imports(m: object): Array<{ module: string; name: string; kind: string }> }).imports(m);
  const imports: Record<string, Record<string, unknown>> = {};
  for (const imp of importsOf(mod)) {
    if (imp.kind !== 'function') continue;
    // Anything else (file descriptors: syscall's init walks the preopens) answers EBADF: no files.
    const fn = imp.module === 'wasi_snapshot_preview1' ? (wasi[imp.name] ?? (() => 8)) /* EBADF */ : () => 0n;
    (imports[imp.module] ??= {})[imp.name] = imp.module === 'caxton:agent/host@0.1.0' && imp.name !== 'now' ? () => undefined : fn;
  }
  const instance = new Wasm.Instance(mod, imports);
  memory = instance.exports['memory'] as { buffer: ArrayBuffer };
  (instance.exports['_initialize'] as () => void)();
  const arena = (instance.exports[ARENA_EXPORT] as () => bigint)();
  return { base: Number(arena >> 32n), size: Number(arena & 0xffffffffn) };
}
