// How to compile an AssemblyScript agent into a core module the component tooling accepts.
// Used by the Caxton build library (toolchain/src) and usable by hand with `asc`:
//
//   asc assembly/index.ts --outFile build/core.wasm $(node -e \
//     'import("@caxton/sdk-assemblyscript/toolchain/index.mjs").then(t=>console.log(t.ascArgs().join(" ")))')
//
// then `jco embed --string-encoding utf16` and `jco new`.
import { fileURLToPath } from 'node:url';

/** Where this SDK's sources live (for asc's `--path`/package resolution and diagnostics). */
export const sdkRoot = fileURLToPath(new URL('..', import.meta.url));

/** The compiler transform that gives the guest exports their canonical-ABI names. */
export const transformPath = fileURLToPath(new URL('./transform.mjs', import.meta.url));

/** The world the SDK implements, and the canonical-ABI export names it produces. */
export const WORLD = 'agent';
export const WIT_PACKAGE = 'caxton:agent@0.1.0';
export const STRING_ENCODING = 'utf16';

// AssemblyScript names elements by "<file path without .ts>/<name>"; files inside packages resolve
// under "~lib/<package>/…".
const internal = (file, name) => `~lib/@caxton/sdk-assemblyscript/assembly/abi/${file}/${name}`;

/**
 * Compiler flags every Caxton AssemblyScript agent needs.
 * - `--exportStart _initialize`: the component tooling calls `_initialize` once at instantiation,
 *   after the memory is exported; a wasm `start` section would run before that.
 * - `--use abort=…`/`seed=…`: route AssemblyScript's `env.abort`/`env.seed` imports to SDK code,
 *   because the agent world imports nothing but `caxton:agent/host`.
 * - `--runtime`: "incremental" (default: steady memory and per-call cost whatever the heap size)
 *   or "minimal" (the SDK runs a full collection after every call: smallest, but each call costs
 *   time proportional to the live heap). Measurements: docs/decisions/0501.
 * - `ASC_GC_GRANULARITY` (incremental only): the GC steps after every GC_GRANULARITY bytes
 *   allocated and idles until the heap reaches twice the live size plus that much. AssemblyScript's
 *   1,024 made an agent with a small heap (most agents) run a whole cycle every few messages; at
 *   4,096 an echo costs 16 % less fuel for at most 3 KiB more garbage before a cycle, still bounded
 *   (docs/decisions/2107).
 */
export const GC_GRANULARITY = 4096;

export function ascArgs({ runtime = 'incremental', optimize = true } = {}) {
  return [
    '--runtime', runtime,
    ...(runtime === 'incremental' ? ['--use', `ASC_GC_GRANULARITY=${GC_GRANULARITY}`] : []),
    '--exportStart', '_initialize',
    '--use', `abort=${internal('abort', 'caxtonAbort')}`,
    '--use', `seed=${internal('seed', 'caxtonSeed')}`,
    '--transform', transformPath,
    ...(optimize ? ['-O3', '--noAssert'] : ['--debug']),
  ];
}
