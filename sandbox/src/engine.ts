/**
 * The Engine turns artifact bytes into prepared, compiled artifacts and caches them: on disk by
 * (sha256 of the bytes, cache key) so the expensive steps — decode, contract check, jco transpile,
 * instrumentation — happen once per artifact ever, and in memory by digest so compilation happens
 * once per process. Instances are made from the returned Artifact (see instance.ts).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import './webassembly-types.js';
import { MANIFEST_FORMAT, type Artifact, type ArtifactManifest, type GlueInstantiate, type ModuleManifest } from './artifact/artifact.js';
import { ArtifactCache } from './artifact/cache.js';
import type { EvictionReport } from './artifact/cache-evict.js';
import { ARTIFACT_LIMIT_TABLE, AssetTree, DEFAULT_PREPARE_CACHE_LIMITS, decodeAssets, inFlagUnit } from '@caxton/core';
import type { EngineSettings } from './shard/protocol.js';
import { sha256 } from './artifact/digest.js';
import { MODULE_CACHE_DIR } from './artifact/module-cache.js';
import { defaultContractWitPath } from './artifact/contract.js';
import { DIRECT_BINDING_VERSION, INSTRUMENTATION_VERSION } from './artifact/versions.js';
import { GLUE_PATCH_VERSION } from './artifact/glue-debug-log.js';
import { PrepareQueue, prepareInWorker, type PrepareLimits } from './artifact/prepare-worker.js';
import { SandboxError, artifactError } from './errors.js';
import { enableWasmFeatures } from './wasm-features.js';
import { COMPONENT_LIMIT_NAMES, DEFAULT_COMPONENT_LIMITS, type ComponentLimits } from './binary/component-limits.js';

export interface EngineOptions {
  /** Where prepared artifacts are cached. Default: `.caxton/cache/sandbox` under the working directory. */
  cacheDir?: string;
  /** Largest table any guest module may declare, in elements. Default 100,000. */
  tableCap?: number;
  /** WIT source of the contract. Default: wit/agent.wit of this repository. */
  contractWit?: string;
  /** `auto` (default): the direct path when it applies. `jco`: always jco's glue (for comparisons). */
  binding?: 'auto' | 'jco';
  /** Wall-clock budget of preparing one component (in a worker). Default 120 s. */
  prepareDeadlineMs?: number;
  /** Cap on the preparing worker's JS heap, MiB. Default 1024. */
  prepareMaxHeapMb?: number;
  /** Preparations running at once; the rest wait their turn. Default 1. */
  prepareConcurrency?: number;
  /** Largest component accepted at all, bytes (checked before anything is read). Default 64 MiB. */
  maxComponentBytes?: number;
  /** Caps on what a component defines (modules, instances, types, functions); defaults in component-limits.ts. */
  componentLimits?: Partial<ComponentLimits>;
  /** Told of each cached entry that failed its check and is prepared again (decision 2135). Default: a process warning (stderr) with its code. */
  onCacheEntryRefused?: (err: SandboxError) => void;
  /** Bytes the cache directory may hold; past it the least recently used entries are evicted after a write (decision 2141). Default: core's PREPARE_CACHE_LIMIT_TABLE; null: unbounded. */
  cacheMaxBytes?: number | null;
  /** Told what each eviction pass removed. Default: nothing. */
  onCacheEvicted?: (report: EvictionReport) => void;
}

export const DEFAULT_MAX_COMPONENT_BYTES = 64 * 1024 * 1024;

export const DEFAULT_TABLE_CAP = 100_000;

function jcoVersion(): string {
  try {
    const pkg = new URL('../../../node_modules/@bytecodealliance/jco/package.json', import.meta.url);
    return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export { sha256 };

export class Engine {
  readonly cacheDir: string;
  readonly tableCap: number;
  readonly witSource: string;
  readonly binding: 'auto' | 'jco';
  readonly cacheKey: string;
  private readonly cache: ArtifactCache;
  private readonly loaded = new Map<string, Promise<Artifact>>();
  private readonly prepareLimits: PrepareLimits;
  readonly maxComponentBytes: number;
  private readonly prepares: PrepareQueue;
  readonly componentLimits: Readonly<ComponentLimits>;

  constructor(opts: EngineOptions = {}) {
    enableWasmFeatures();
    this.cacheDir = resolve(opts.cacheDir ?? join(process.cwd(), '.caxton', 'cache', 'sandbox'));
    this.tableCap = opts.tableCap ?? DEFAULT_TABLE_CAP;
    this.witSource = opts.contractWit ?? readFileSync(defaultContractWitPath(), 'utf8');
    this.binding = opts.binding ?? 'auto';
    this.maxComponentBytes = opts.maxComponentBytes ?? DEFAULT_MAX_COMPONENT_BYTES;
    this.componentLimits = Object.freeze({ ...DEFAULT_COMPONENT_LIMITS, ...opts.componentLimits });
    // What an entry holds and whether this node would accept its component (decision 2135): a node
    // whose caps are smaller must not be served what a node with larger ones prepared. The prepare
    // deadline and heap cap are left out: they bound the work of preparing, not what is prepared.
    this.cacheKey = sha256(
      JSON.stringify({
        manifest: MANIFEST_FORMAT,
        instrumentation: INSTRUMENTATION_VERSION,
        direct: DIRECT_BINDING_VERSION,
        glue: GLUE_PATCH_VERSION,
        tableCap: this.tableCap,
        jco: jcoVersion(),
        wit: sha256(this.witSource),
        ...(this.binding === 'jco' ? { binding: 'jco' } : {}),
        maxComponentBytes: this.maxComponentBytes,
        componentLimits: COMPONENT_LIMIT_NAMES.map((name) => this.componentLimits[name]),
      }),
    ).slice(0, 16);
    const report =
      opts.onCacheEntryRefused ?? ((err: SandboxError) => process.emitWarning(err.message, { code: err.code, detail: err.hint }));
    const maxBytes = opts.cacheMaxBytes === undefined ? DEFAULT_PREPARE_CACHE_LIMITS.maxBytes : opts.cacheMaxBytes;
    this.cache = new ArtifactCache(
      this.cacheDir,
      report,
      maxBytes === null ? null : { maxBytes, onEvicted: opts.onCacheEvicted ?? (() => undefined) },
    );
    this.prepareLimits = {
      deadlineMs: opts.prepareDeadlineMs ?? ARTIFACT_LIMIT_TABLE.prepareDeadlineMs.default,
      maxHeapMb: opts.prepareMaxHeapMb ?? inFlagUnit(ARTIFACT_LIMIT_TABLE.prepareHeapBytes, ARTIFACT_LIMIT_TABLE.prepareHeapBytes.default),
    };
    this.prepares = new PrepareQueue(opts.prepareConcurrency ?? 1);
  }

  /** What a shard worker's engine is built from: the same settings, so the same cache key (protocol.ts). */
  shardSettings(): EngineSettings {
    return {
      cacheDir: this.cacheDir,
      tableCap: this.tableCap,
      contractWit: this.witSource,
      binding: this.binding,
      maxComponentBytes: this.maxComponentBytes,
      componentLimits: this.componentLimits,
    };
  }

  static digest(bytes: Uint8Array): string {
    return sha256(bytes);
  }

  /**
   * Validates and prepares a component (or finds it prepared), compiles it and returns it. Refuses
   * garbage, core modules, components of another world and components it cannot meter with an
   * ArtifactError saying what is wrong and what to do.
   */
  loadArtifact(bytes: Uint8Array): Promise<Artifact> {
    if (bytes.length > this.maxComponentBytes) {
      return Promise.reject(
        artifactError(
          'too-large',
          `the component is ${bytes.length} bytes; this node accepts at most ${this.maxComponentBytes}`,
          { bytes: bytes.length, maxComponentBytes: this.maxComponentBytes },
          "Make the agent smaller, or raise the engine's maxComponentBytes (caxton serve --max-artifact-mib).",
        ),
      );
    }
    const digest = Engine.digest(bytes);
    let p = this.loaded.get(digest);
    if (!p) {
      p = this.load(digest, bytes);
      this.loaded.set(digest, p);
      p.catch(() => this.loaded.delete(digest));
    }
    return p;
  }

  /** An artifact prepared earlier (by this or another process sharing the cache directory). */
  loadCached(digest: string): Promise<Artifact> {
    let p = this.loaded.get(digest);
    if (!p) {
      p = this.load(digest, null);
      this.loaded.set(digest, p);
      p.catch(() => this.loaded.delete(digest));
    }
    return p;
  }

  /** Checks the cache directory (cache-dir.ts) now rather than at the first load: a node fails fast on an unsafe one. */
  openCache(): Promise<void> {
    return this.cache.open();
  }

  /** Resolves when the cache's eviction passes are done (they run after writes, not awaited by loads). */
  cacheEvictionsSettled(): Promise<void> {
    return this.cache.evictionsSettled();
  }

  /** Drops the compiled artifact from memory (the disk entry stays). */
  forget(digest: string): void {
    this.loaded.delete(digest);
  }

  private async load(digest: string, bytes: Uint8Array | null): Promise<Artifact> {
    let entry = await this.cache.read(digest, this.cacheKey);
    if (!entry) {
      if (!bytes) {
        throw artifactError(
          'not-cached',
          `no prepared artifact with digest ${digest} in ${this.cacheDir}`,
          { digest },
          'Load the artifact bytes with Engine.loadArtifact first (the pool does this on deploy).',
        );
      }
      // Off the main thread, bounded in time and memory, one at a time (prepare-worker.ts).
      const prepared = await this.prepares.run(() =>
        prepareInWorker(
          bytes,
          digest,
          {
            witSource: this.witSource,
            tableCap: this.tableCap,
            cacheKey: this.cacheKey,
            binding: this.binding,
            componentLimits: this.componentLimits,
            moduleCacheDir: join(this.cacheDir, MODULE_CACHE_DIR),
          },
          this.prepareLimits,
        ),
      );
      // Best-effort: what was prepared is used from memory whether or not it reached the disk.
      await this.cache.write(prepared.manifest, prepared.modules, prepared.glue);
      entry = { manifest: prepared.manifest, modules: prepared.modules, glue: prepared.glue };
    }
    return this.compile(entry.manifest, entry.modules, entry.glue);
  }

  private async compile(manifest: ArtifactManifest, bytes: Uint8Array[], glue: string | null): Promise<Artifact> {
    let modules: WebAssembly.Module[];
    try {
      modules = await Promise.all(bytes.map((b) => WebAssembly.compile(b)));
    } catch (err) {
      throw new SandboxError('sandbox.artifact.compile-failed', `the instrumented artifact does not compile: ${(err as Error).message}`, {
        context: { digest: manifest.digest },
        hint: 'This is a Caxton instrumentation bug or a wasm feature this Node.js lacks; report it with the artifact.',
        cause: err,
      });
    }
    return this.assemble(manifest, modules, glue);
  }

  /**
   * Adopts an artifact compiled elsewhere in this process (a shard receives the pool's compiled
   * modules and its checked glue text over postMessage, so code is compiled once per process, not
   * once per worker, and the shard reads nothing of the cache).
   */
  adopt(manifest: ArtifactManifest, modules: WebAssembly.Module[], glueSource: string | null): Promise<Artifact> {
    let p = this.loaded.get(manifest.digest);
    if (!p) {
      if (manifest.cacheKey !== this.cacheKey) {
        return Promise.reject(
          new SandboxError('sandbox.artifact.cache-key-mismatch', 'the artifact was prepared with other engine settings', {
            context: { digest: manifest.digest, expected: this.cacheKey, got: manifest.cacheKey },
            hint: 'Give the pool and its shards the same engine options.',
          }),
        );
      }
      p = this.assemble(manifest, modules, glueSource);
      this.loaded.set(manifest.digest, p);
      p.catch(() => this.loaded.delete(manifest.digest));
    }
    return p;
  }

  private async assemble(manifest: ArtifactManifest, modules: WebAssembly.Module[], glueSource: string | null): Promise<Artifact> {
    const plans = new Map<WebAssembly.Module, ModuleManifest>();
    modules.forEach((m, i) => plans.set(m, manifest.modules[i]!));
    let glue: GlueInstantiate | null = null;
    if (manifest.glueFile) {
      checkGlue(manifest, glueSource);
      // The checked text itself, never the file again: nothing can change between the hash and the
      // import (decision 2135, review mends). jco's glue imports nothing, which a data: URL allows.
      const mod = (await import(`data:text/javascript;base64,${Buffer.from(glueSource!, 'utf8').toString('base64')}`)) as {
        instantiate?: GlueInstantiate;
      };
      if (typeof mod.instantiate !== 'function') {
        throw new SandboxError('sandbox.artifact.glue-invalid', 'the cached jco glue has no instantiate()', {
          context: { digest: manifest.digest },
        });
      }
      glue = mod.instantiate;
    }
    // One budget per agent across all its memories (instance.ts): what they start with, added up.
    const minMemoryPages = manifest.modules.reduce((sum, m) => sum + m.memories.reduce((s, x) => s + x.initialPages, 0), 0);
    // Decoded where an instance first needs them (a shard), checked again there (the cache checked them on read).
    const payload = manifest.assets;
    let assets: AssetTree | undefined;
    return {
      digest: manifest.digest,
      manifest,
      modules,
      plans,
      glue,
      glueSource,
      minMemoryPages,
      get assets(): AssetTree {
        assets ??= new AssetTree(payload === null ? [] : decodeAssets(Buffer.from(payload, 'base64')));
        return assets;
      },
    };
  }
}

/**
 * The glue is imported into this process, outside every sandbox: its text must be the one the
 * manifest records (decision 2135). The cache checked it on read and a preparation made it; this
 * check keeps that true for whatever reaches assemble (a shard's adopt message included).
 */
function checkGlue(manifest: ArtifactManifest, glueSource: string | null): void {
  const problem =
    glueSource === null
      ? 'it was not given'
      : sha256(Buffer.from(glueSource, 'utf8')) !== manifest.glueSha256
        ? 'it does not match the sha256 its manifest records'
        : null;
  if (problem === null) return;
  throw new SandboxError('sandbox.artifact.cache-entry-refused', `the jco glue of ${manifest.digest} was not imported: ${problem}`, {
    context: { digest: manifest.digest },
    hint: 'Nothing of it was run. The glue comes from a checked cache entry or a fresh preparation, so this is a Caxton bug: report it.',
  });
}
