/**
 * The cold path of loading an artifact, run once per artifact digest: recognise the bytes, decode
 * the component, check it against the contract, pick the binding path, transpile with jco when
 * needed, and instrument every core module. Each refusal is an ArtifactError naming the problem.
 */
import { binaryKind } from '../binary/reader.js';
import type { DecodedComponent } from '../binary/component-decoder.js';
import { decodeComponent } from '../binary/component-decoder.js';
import { WASI_SUPPORT } from '../wasi/support.js';
import { artifactError } from '../errors.js';
import { MANIFEST_FORMAT, type ArtifactManifest, type BindingPath, type ModuleManifest } from './artifact.js';
import { HOST_INTERFACE, STATE_INTERFACE, loadContract } from './contract.js';
import { planDirect } from './direct-eligibility.js';
import { type InstrumentError, instrumentHere, instrumentInWorker } from './instrument-worker.js';
import { checkWorld } from './world-check.js';
import { withoutDebugLog } from './glue-debug-log.js';
import { sha256 } from './digest.js';
import { ASSETS_ROOT, AssetsInvalidError, componentAssets, encodeAssets, type AssetFile } from '@caxton/core';
import { isPlainFileName } from './cache-dir.js';
import { ComponentLimitExceeded, type ComponentLimits } from '../binary/component-limits.js';

/** The component binary version this runtime reads (component-model pre-standard 0x0d). */
export const COMPONENT_VERSION = 0x0d;

export interface PrepareOptions {
  witSource: string;
  tableCap: number;
  cacheKey: string;
  binding?: 'auto' | 'jco';
  /**
   * Instrument the core modules in this thread instead of a worker of their own (the preparation
   * worker is already off the main thread, and bounded as a whole).
   */
  instrumentInThread?: boolean;
  /** Caps on what the component defines (default DEFAULT_COMPONENT_LIMITS). */
  componentLimits?: Readonly<ComponentLimits>;
  /** Directory of the module cache (module-cache.ts), keyed with `cacheKey`; none: every module is instrumented. */
  moduleCacheDir?: string;
}

export interface Prepared {
  manifest: ArtifactManifest;
  modules: Uint8Array[];
  glue: string | null;
}

const since = (t: number) => Math.round((performance.now() - t) * 100) / 100;

export async function prepareArtifact(bytes: Uint8Array, digest: string, opts: PrepareOptions): Promise<Prepared> {
  const t0 = performance.now();
  const ctx = { digest, bytes: bytes.length };
  const kind = binaryKind(bytes);
  if (kind.kind === 'not-wasm') {
    throw artifactError('not-wasm', 'the artifact is not WebAssembly: it does not start with the \\0asm header', ctx);
  }
  if (kind.kind === 'core-module') {
    throw artifactError(
      'core-module',
      'the artifact is a core WebAssembly module, but agents must be WebAssembly components',
      ctx,
      'Wrap the module as a component of the `agent` world: `jco embed --wit wit/agent.wit --world agent module.wasm -o embedded.wasm` ' +
        '(AssemblyScript: add `--string-encoding utf16`), then `jco new embedded.wasm -o agent.wasm`.',
    );
  }
  if (kind.version !== COMPONENT_VERSION) {
    throw artifactError(
      'invalid',
      `the component uses binary version 0x${kind.version?.toString(16)}; this runtime reads 0x${COMPONENT_VERSION.toString(16)}`,
      ctx,
      'Rebuild the agent with a toolchain matching @bytecodealliance/jco 1.35 (wasm-tools 1.2xx).',
    );
  }

  let decoded: DecodedComponent;
  const tDecode = performance.now();
  try {
    decoded = decodeComponent(bytes, opts.componentLimits);
  } catch (err) {
    if (err instanceof ComponentLimitExceeded) {
      throw artifactError(
        'over-limit',
        err.message,
        { ...ctx, limit: err.limit, value: err.value, max: err.max },
        `A component this large is hostile or far too big; if it is genuine, raise the cap: caxton serve --component-limit ${err.limit}=<n>.`,
      );
    }
    throw artifactError('invalid', `the component is malformed: ${(err as Error).message}`, ctx, undefined, err);
  }
  const decodeMs = since(tDecode);

  const tCheck = performance.now();
  const contract = await loadContract(opts.witSource);
  const report = checkWorld(decoded, contract, WASI_SUPPORT);
  if (report.issues.length > 0) {
    const list = report.issues.map((i) => `${i.subject} ${i.problem}`).join('; ');
    throw artifactError('wrong-world', `the component does not implement the caxton:agent@0.1.0 agent world: ${list}`, {
      ...ctx,
      issues: report.issues,
    });
  }
  const assets = assetsOf(bytes, report.wasiImports, ctx);
  const hostImports = [...(contract.imports.get(HOST_INTERFACE)?.keys() ?? [])].filter((name) => {
    const ext = decoded.imports.get(HOST_INTERFACE);
    return ext?.sort === 'instance' && ext.type.exports.get(name)?.sort === 'func';
  });
  // Durable state writes declared by the component's world: it imports state's `set` or `delete`
  // (decision 2163: an agent that may write state cannot be scaled to stateless workers across nodes).
  const stateImport = decoded.imports.get(STATE_INTERFACE);
  const writesState = stateImport?.sort === 'instance' && ['set', 'delete'].some((f) => stateImport.type.exports.get(f)?.sort === 'func');
  const direct =
    opts.binding === 'jco'
      ? ({ eligible: false, reason: 'the engine is configured to use jco for every artifact' } as const)
      : await planDirect(bytes, decoded, report.wasiImports, opts.witSource);
  const checkMs = since(tCheck);

  let path: BindingPath;
  let pathReason: string;
  let toInstrument: { file: string; bytes: Uint8Array }[];
  let glue: string | null = null;
  let transpileMs = 0;
  if (direct.eligible) {
    path = 'direct';
    pathReason = `a single guest module in the canonical ${direct.stringEncoding} encoding of the agent world`;
    toInstrument = [{ file: 'guest.wasm', bytes: direct.module }];
  } else {
    path = 'jco';
    pathReason = `direct path not applicable: ${direct.reason}`;
    const tTranspile = performance.now();
    const out = await transpileWithJco(bytes, decoded, ctx);
    transpileMs = since(tTranspile);
    glue = out.glue;
    toInstrument = out.modules;
  }

  const tInstrument = performance.now();
  let instrumented;
  try {
    const modulesToInstrument = toInstrument.map((m) => m.bytes);
    const instrumentOpts = {
      tableCap: opts.tableCap,
      ...(opts.moduleCacheDir ? { moduleCache: { dir: opts.moduleCacheDir, engineKey: opts.cacheKey } } : {}),
    };
    instrumented = opts.instrumentInThread
      ? await instrumentHere(modulesToInstrument, instrumentOpts)
      : await instrumentInWorker(modulesToInstrument, instrumentOpts);
  } catch (err) {
    const e = err as InstrumentError;
    const which = e.moduleIndex >= 0 ? ` in core module ${toInstrument[e.moduleIndex]?.file}` : '';
    throw artifactError(
      'unsupported',
      `the component cannot be sandboxed${which}: ${e.message}`,
      ctx,
      'The sandbox meters and bounds every core module; build the agent without the feature named above (threads, memory64, multiple memories, exceptions via try_table, …).',
      err,
    );
  }
  const modules: ModuleManifest[] = instrumented.map((m, i) => ({
    file: toInstrument[i]!.file,
    sha256: sha256(m.bytes),
    memories: m.memories,
    tables: m.tables,
    fuel: m.fuel,
    originalBytes: m.originalBytes,
    instrumentedBytes: m.bytes.length,
    ...(m.reused ? { reused: true } : {}),
  }));
  const instrumentMs = since(tInstrument);

  const manifest: ArtifactManifest = {
    format: MANIFEST_FORMAT,
    digest,
    cacheKey: opts.cacheKey,
    path,
    pathReason,
    stringEncoding: direct.eligible ? direct.stringEncoding : null,
    modules,
    glueFile: glue === null ? null : 'glue.mjs',
    glueSha256: glue === null ? null : sha256(glue),
    wasiImports: report.wasiImports,
    extraExports: report.extraExports,
    hostImports,
    writesState,
    assets,
    prepareMs: { decode: decodeMs, check: checkMs, transpile: transpileMs, instrument: instrumentMs, total: since(t0) },
    createdAt: new Date().toISOString(),
  };
  return { manifest, modules: instrumented.map((m) => m.bytes), glue };
}

async function transpileWithJco(
  bytes: Uint8Array,
  decoded: DecodedComponent,
  ctx: Record<string, unknown>,
): Promise<{ glue: string; modules: { file: string; bytes: Uint8Array }[] }> {
  const jco = await import('@bytecodealliance/jco');
  let out: { files: Record<string, Uint8Array> };
  try {
    out = await jco.transpile(bytes, {
      name: 'agent',
      instantiation: 'sync',
      noTypescript: true,
      quiet: true,
      nodejsCompat: false,
      tlaCompat: false,
      optimize: false,
      minify: false,
      base64Cutoff: 0,
    });
  } catch (err) {
    throw artifactError('invalid', `jco could not transpile the component: ${(err as Error).message}`, ctx, undefined, err);
  }
  const glueBytes = out.files['agent.js'];
  if (!glueBytes) throw artifactError('invalid', 'jco produced no glue module', ctx);
  const glue = withoutDebugLog(new TextDecoder().decode(glueBytes));
  const modules = Object.entries(out.files)
    .filter(([name]) => name.endsWith('.wasm'))
    .map(([file, b]) => ({ file, bytes: b }));
  // The names become files of the cache entry: a name that is not one plain file is refused, never joined.
  const odd = modules.find((m) => !isPlainFileName(m.file));
  if (odd) {
    throw artifactError(
      'invalid',
      `jco named a core module ${JSON.stringify(odd.file)}, which is not a plain file name`,
      ctx,
      'This is a Caxton bug or an unsupported jco version; report it with the artifact.',
    );
  }
  // Every core module must reach the sandbox through getCoreModule, or it would run unmetered.
  const expected = decoded.coreModules.length + decoded.nestedCoreModules;
  const missing = modules.filter((m) => !glue.includes(`getCoreModule('${m.file}')`));
  if (modules.length < expected || missing.length > 0) {
    throw artifactError(
      'invalid',
      `jco's glue does not load every core module through the sandbox (${modules.length} files for ${expected} modules)`,
      ctx,
      'This is a Caxton bug or an unsupported jco version; report it with the artifact.',
    );
  }
  return { glue, modules };
}

/**
 * The component's assets (decision 2192), checked before anything else of them is kept: the
 * payload base64 for the manifest, or null. Shipped to a component that imports no WASI file
 * system, they could never be read: refused, with what to do.
 */
function assetsOf(bytes: Uint8Array, wasiImports: readonly string[], ctx: Record<string, unknown>): string | null {
  let files: AssetFile[];
  try {
    files = componentAssets(bytes);
  } catch (err) {
    if (err instanceof AssetsInvalidError) throw artifactError('invalid', err.message, ctx, err.hint, err);
    throw err;
  }
  if (files.length === 0) return null;
  if (!wasiImports.some((i) => i.startsWith('wasi:filesystem/')))
    throw artifactError(
      'invalid',
      `the component ships ${files.length} asset file(s) but imports no wasi:filesystem: it could not read ${ASSETS_ROOT}`,
      ctx,
      'build the agent with WASI files (its language\'s file API; "wasi": true in caxton.json for C and Rust, the SDK\'s files module for AssemblyScript and JavaScript), or deploy it without --assets',
    );
  return Buffer.from(encodeAssets(files)).toString('base64');
}
