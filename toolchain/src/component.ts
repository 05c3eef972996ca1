/**
 * Core module -> component, via jco's bundled wasm-tools: check the core module against the agent
 * world first (so a stray import gets a readable error rather than a wasm-tools backtrace), embed
 * the WIT with the right string encoding, then `component new`.
 */
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ComponentizeError, InvalidAgentError } from './errors.js';
import { importSubpath, requirePackage } from './toolchain.js';

export const HOST_IMPORT_MODULE = 'caxton:agent/host@0.1.0';
export const STATE_IMPORT_MODULE = 'caxton:agent/state@0.1.0';
export const HTTP_IMPORT_MODULE = 'caxton:agent/http@0.1.0';
export const A2A_IMPORT_MODULE = 'caxton:agent/a2a@0.1.0';
export const TOPICS_IMPORT_MODULE = 'caxton:agent/topics@0.1.0';
export const MESSAGE_INFO_IMPORT_MODULE = 'caxton:agent/message-info@0.1.0';
/** The interfaces of the agent world an agent may import besides `host`, when it uses them (decisions 1600, 1601, 1961, 2001). */
export const AGENT_IMPORT_MODULES = [
  HOST_IMPORT_MODULE,
  STATE_IMPORT_MODULE,
  HTTP_IMPORT_MODULE,
  A2A_IMPORT_MODULE,
  TOPICS_IMPORT_MODULE,
  MESSAGE_INFO_IMPORT_MODULE,
] as const;
export const WASI_PREVIEW1_MODULE = 'wasi_snapshot_preview1';
export const JCO_VERSION = '1.35.0';

export interface JcoApi {
  componentEmbed(opts: {
    binary?: Uint8Array;
    witSource?: string;
    witPath?: string;
    stringEncoding?: 'utf8' | 'utf16' | 'compact-utf16';
    world?: string;
  }): Promise<Uint8Array>;
  componentNew(binary: Uint8Array, adapters?: Array<[string, Uint8Array]>): Promise<Uint8Array>;
  componentWit(binary: Uint8Array): Promise<string>;
  preview1AdapterReactorPath(): URL;
}

/** Finds jco without loading it (cheap: reads its package.json), for up-to-date checks. */
export function resolveJco(toolchainDirs: readonly string[]): ReturnType<typeof requirePackage> {
  return requirePackage('@bytecodealliance/jco', toolchainDirs, 'turning a core module into a component', JCO_VERSION);
}

export async function loadJco(toolchainDirs: readonly string[]): Promise<{ api: JcoApi; version: string }> {
  const pkg = resolveJco(toolchainDirs);
  return { api: await importSubpath<JcoApi>(pkg, '.'), version: pkg.version };
}

export interface CoreModuleRules {
  /** Core exports the module must have. */
  requiredExports: readonly string[];
  /** Core exports it may have on top of those. */
  optionalExports?: readonly string[];
  /** Allow `wasi_snapshot_preview1` imports (adapted to WASI 0.2 by the reactor adapter). */
  allowWasi: boolean;
  /** What to tell the author when an export is missing. */
  exportHint: string;
}

// The compiler's lib settings (ES2023, no DOM) do not declare the WebAssembly global; Node has it.
interface WasmDescriptor {
  module?: string;
  name: string;
  kind: string;
}
interface WasmModuleApi {
  Module: (new (
    bytes: Uint8Array,
  ) => object) & {
    imports(m: object): Array<Required<WasmDescriptor>>;
    exports(m: object): WasmDescriptor[];
  };
}
const Wasm = (globalThis as unknown as { WebAssembly: WasmModuleApi }).WebAssembly;

/** Checks imports and exports of a core module against the agent world. */
export function checkCoreModule(dir: string, core: Uint8Array, rules: CoreModuleRules): void {
  const WebAssembly = Wasm;
  const mod = new WebAssembly.Module(core);
  const allowedModules = new Set<string>([...AGENT_IMPORT_MODULES, ...(rules.allowWasi ? [WASI_PREVIEW1_MODULE] : [])]);
  for (const imp of WebAssembly.Module.imports(mod)) {
    if (!allowedModules.has(imp.module)) {
      throw new InvalidAgentError(
        dir,
        `it imports ${imp.module}.${imp.name}, but agents may import only ${[...allowedModules].join(' and ')}`,
        imp.module === 'env'
          ? `env.${imp.name} is an AssemblyScript runtime hook (e.g. trace/abort/seed) or an undeclared @external; use the SDK's log functions instead`
          : 'remove the import; everything an agent may do is in the caxton:agent host, state, http, a2a, topics and message-info interfaces',
      );
    }
  }
  const names = new Set(WebAssembly.Module.exports(mod).map((e) => e.name));
  const missing = rules.requiredExports.filter((n) => !names.has(n));
  if (missing.length > 0) {
    throw new InvalidAgentError(dir, `it does not export ${missing.join(', ')}`, rules.exportHint);
  }
  const allowed = new Set([...rules.requiredExports, ...(rules.optionalExports ?? [])]);
  const stray = [...names].filter((n) => !allowed.has(n));
  if (stray.length > 0) {
    throw new InvalidAgentError(
      dir,
      `it exports ${stray.join(', ')}, which the agent world does not define`,
      'export nothing from the entry file except the SDK exports; move helpers into another file or drop `export`',
    );
  }
}

/** Embeds the agent world and creates the component. */
export async function makeComponent(
  dir: string,
  jco: JcoApi,
  core: Uint8Array,
  opts: { witPath: string; world: string; stringEncoding: 'utf8' | 'utf16'; wasiReactor: boolean },
): Promise<Uint8Array> {
  // A single file goes in as source (no filesystem access needed inside jco's wasm-tools); a WIT
  // directory with deps/ has to be read by path.
  const wit = statSync(opts.witPath).isDirectory() ? { witPath: opts.witPath } : { witSource: await readFile(opts.witPath, 'utf8') };
  let embedded: Uint8Array;
  try {
    embedded = await jco.componentEmbed({ binary: core, ...wit, stringEncoding: opts.stringEncoding, world: opts.world });
  } catch (cause) {
    throw new ComponentizeError(dir, 'embedding the agent world (jco embed)', cause);
  }
  try {
    const adapters: Array<[string, Uint8Array]> = opts.wasiReactor
      ? [[WASI_PREVIEW1_MODULE, await readFile(fileURLToPath(jco.preview1AdapterReactorPath()))]]
      : [];
    return await jco.componentNew(embedded, adapters);
  } catch (cause) {
    throw new ComponentizeError(dir, 'creating the component (jco new)', cause);
  }
}

/**
 * An agent that imports WASI needs an SDK whose `cabi_realloc` lasts (decision 2191): the WASI
 * adapter keeps its state in what it allocates with it, and an older SDK's per-call scratch frees
 * that state at the call's end (memory corrupted on the next call). A hand-written SDK with a
 * lasting `cabi_realloc` exports its scratch as `cabi_export_realloc`; bindings generated by
 * wit-bindgen have no scratch and say so by `generatedMark`, an export the older SDK never had
 * (decision 2203). One with neither is refused here, before a broken component is made.
 */
export function requireLastingRealloc(dir: string, core: Uint8Array, language: string, generatedMark?: string): void {
  const exported = new Set(Wasm.Module.exports(new Wasm.Module(core)).map((e) => e.name));
  if (!exported.has('cabi_export_realloc') && !(generatedMark !== undefined && exported.has(generatedMark))) {
    throw new InvalidAgentError(
      dir,
      `it imports WASI but its ${language} SDK predates files at /data: its cabi_realloc is per-call scratch, which would free the WASI adapter's state`,
      'update the project’s pinned SDK copy (caxton sdk install), or remove it to build with the SDK caxton carries',
    );
  }
}
