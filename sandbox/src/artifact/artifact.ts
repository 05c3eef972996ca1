/**
 * A prepared artifact: the instrumented core modules of one component, compiled, plus how to bind
 * them (directly, or through jco's generated glue). Prepared once per artifact digest; instances
 * are cheap to make from it.
 */
import '../webassembly-types.js';
import type { FuelPassStats } from '../fuel/fuel-pass.js';
import type { MemoryPlan, TablePlan } from '../limits/rewrite.js';
import type { AssetTree } from '@caxton/core';

/** `direct`: our own canonical-ABI binding of a single guest module; `jco`: jco's glue. */
export type BindingPath = 'direct' | 'jco';

export interface ModuleManifest {
  /** File name inside the cache entry (and jco's name for it, on the jco path): a plain name (cache-dir.ts). */
  file: string;
  /** sha256 of the instrumented bytes, hex: checked before a cached module is compiled (decision 2135). */
  sha256: string;
  memories: MemoryPlan[];
  tables: TablePlan[];
  fuel: FuelPassStats;
  originalBytes: number;
  instrumentedBytes: number;
  /** Taken from the module cache: the same bytes were instrumented before, for this or another artifact (decision 2126). */
  reused?: true;
}

/**
 * 2 since each file carries its sha256 (decision 2135), 3 since `writesState` is recorded (decision
 * 2163), 4 since the component's assets are kept (decision 2192); part of the cache key, so nodes
 * of another format keep their own entries.
 */
export const MANIFEST_FORMAT = 4;

export interface ArtifactManifest {
  format: typeof MANIFEST_FORMAT;
  /** sha256 of the artifact bytes, hex. */
  digest: string;
  /** Identifies instrumentation pass, limits, contract and toolchain versions. */
  cacheKey: string;
  path: BindingPath;
  /** Why this path was chosen (for `jco`: why the direct path did not apply). */
  pathReason: string;
  /** Canonical-ABI string encoding of the direct path. */
  stringEncoding: 'utf8' | 'utf16' | null;
  modules: ModuleManifest[];
  /** jco glue file (jco path): a plain name (cache-dir.ts). */
  glueFile: string | null;
  /** sha256 of the glue file's bytes, hex: checked before it is imported (decision 2135). */
  glueSha256: string | null;
  wasiImports: string[];
  extraExports: string[];
  /** Host functions the component imports (subset of caxton:agent/host). */
  hostImports: string[];
  /** The component imports caxton:agent/state's `set` or `delete`: it may write durable state. */
  writesState: boolean;
  /** Its `caxton:assets` section's payload, base64 (decision 2192), decoded and checked again when loaded; null: none. */
  assets: string | null;
  prepareMs: { decode: number; check: number; transpile: number; instrument: number; total: number };
  createdAt: string;
}

/** jco's `instantiate(getCoreModule, imports, instantiateCore)` for `--instantiation sync`. */
export type GlueInstantiate = (
  getCoreModule: (name: string) => WebAssembly.Module,
  imports: Record<string, Record<string, unknown>>,
  instantiateCore: (module: WebAssembly.Module, imports?: WebAssembly.Imports) => WebAssembly.Instance,
) => Record<string, unknown>;

export interface Artifact {
  digest: string;
  manifest: ArtifactManifest;
  /** Compiled modules, in manifest order. */
  modules: WebAssembly.Module[];
  /** Memory/table plans of each compiled module. */
  plans: Map<WebAssembly.Module, ModuleManifest>;
  glue: GlueInstantiate | null;
  /** The glue's text `glue` was imported from, checked against the manifest: a shard adopting the artifact imports the same. */
  glueSource: string | null;
  /** Largest initial memory any module declares, in pages: the smallest workable cap. */
  minMemoryPages: number;
  /** The read-only files it ships, shown at /assets (decision 2192), decoded on first use (a shard's instance, never the pool). */
  readonly assets: AssetTree;
}
