/**
 * On-disk cache of instrumentation results per core module, shared by every artifact prepared with
 * the same engine settings (decision 2126). Components built by one toolchain embed the same core
 * modules: every componentize-py agent carries the same CPython (6.3 MB of code in one module) and
 * differs only in its memory snapshot and a small module, so instrumenting CPython once serves them all.
 *
 * An entry is named by the sha256 of everything its result depends on: the engine's cache key
 * (instrumentation version, table cap, …), the sha256 of the module's bytes and, for an instrumented
 * module, whether the artifact can catch (fuel-pass.ts). Never by a name an uploader chooses: a
 * component can only reach the entries of modules it really contains, and what is stored for them
 * is what instrumenting those bytes gives. Each entry is one file written to a temporary name and
 * renamed into place; its header repeats the inputs and the sha256 and length of the result, so a
 * truncated, corrupt or misplaced entry is ignored (and rewritten by the caller) rather than used.
 * That check is against the entry's own header, so it finds corruption, not tampering: what keeps
 * others from writing entries is the root's check (cache-dir.ts, decision 2135), which the engine
 * makes before it prepares anything (with this directory's: cache-dir.ts), files read only when
 * they are this user's and no link, and file names that are hashes, never a manifest's words.
 */
import { mkdirSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256 } from './digest.js';
import { readOwnFileSync, temporaryPath } from './cache-dir.js';
import type { InstrumentedModule } from './instrument.js';

/** Where the entries live under an engine's cache directory. */
export const MODULE_CACHE_DIR = 'modules';

const FORMAT = 1;

/** What an entry's header says about its inputs and its body. */
interface EntryHeader {
  format: number;
  engineKey: string;
  kind: 'handler' | 'instrumented';
  module: string;
  catches: boolean | null;
  bodySha256: string;
  bodyBytes: number;
  /** For `handler`: whether the module has an exception handler. */
  hasHandler?: boolean;
  /** For `instrumented`: the InstrumentedModule without its bytes (the body). */
  plan?: Omit<InstrumentedModule, 'bytes'>;
}

type Inputs = Pick<EntryHeader, 'kind' | 'module' | 'catches'>;

export class ModuleCache {
  /** `root`: the directory of entries; `engineKey`: the engine's cache key. */
  constructor(
    readonly root: string,
    readonly engineKey: string,
  ) {}

  entryPath(inputs: Inputs): string {
    const name = sha256(JSON.stringify({ engineKey: this.engineKey, kind: inputs.kind, module: inputs.module, catches: inputs.catches }));
    return join(this.root, `${name}.entry`);
  }

  /** Whether the module (by sha256) has an exception handler, if known. */
  readHandler(module: string): boolean | null {
    const entry = this.read({ kind: 'handler', module, catches: null });
    return typeof entry?.header.hasHandler === 'boolean' ? entry.header.hasHandler : null;
  }

  writeHandler(module: string, hasHandler: boolean): void {
    this.write({ kind: 'handler', module, catches: null }, new Uint8Array(0), { hasHandler });
  }

  /** The instrumented module for these inputs, if a sound entry holds it. */
  readInstrumented(module: string, catches: boolean): InstrumentedModule | null {
    const entry = this.read({ kind: 'instrumented', module, catches });
    if (!entry?.header.plan) return null;
    return { ...entry.header.plan, bytes: entry.body };
  }

  writeInstrumented(module: string, catches: boolean, result: InstrumentedModule): void {
    const { bytes, ...plan } = result;
    this.write({ kind: 'instrumented', module, catches }, bytes, { plan });
  }

  private read(inputs: Inputs): { header: EntryHeader; body: Uint8Array } | null {
    let file: Buffer;
    try {
      // A link, or a file another user owns or may write, is a miss; the write that follows replaces it.
      const bytes = readOwnFileSync(this.entryPath(inputs));
      if (typeof bytes === 'string') return null;
      file = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch {
      return null;
    }
    try {
      if (file.length < 4) return null;
      const headerBytes = file.readUInt32LE(0);
      if (4 + headerBytes > file.length) return null;
      const header = JSON.parse(file.subarray(4, 4 + headerBytes).toString('utf8')) as EntryHeader;
      const body = new Uint8Array(file.subarray(4 + headerBytes));
      const sound =
        header.format === FORMAT &&
        header.engineKey === this.engineKey &&
        header.kind === inputs.kind &&
        header.module === inputs.module &&
        header.catches === inputs.catches &&
        header.bodyBytes === body.length &&
        header.bodySha256 === sha256(body);
      if (!sound) return null;
      this.touch(inputs);
      return { header, body };
    } catch {
      return null;
    }
  }

  /** Recency for the cache's size bound (cache-evict.ts, decision 2141); best-effort: it may be evicted by now. */
  private touch(inputs: Inputs): void {
    const now = new Date();
    try {
      utimesSync(this.entryPath(inputs), now, now);
    } catch {
      // Evicted or unwritable: the next write replaces it.
    }
  }

  private write(inputs: Inputs, body: Uint8Array, extra: Pick<EntryHeader, 'hasHandler' | 'plan'>): void {
    const header: EntryHeader = {
      format: FORMAT,
      engineKey: this.engineKey,
      ...inputs,
      bodySha256: sha256(body),
      bodyBytes: body.length,
      ...extra,
    };
    const json = Buffer.from(JSON.stringify(header), 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32LE(json.length, 0);
    const path = this.entryPath(inputs);
    const tmp = temporaryPath(path);
    try {
      mkdirSync(this.root, { recursive: true, mode: 0o700 });
      writeFileSync(tmp, Buffer.concat([length, json, body]), { mode: 0o600 }); // Private, or the next read refuses it (cache-dir.ts).
      // Replaces a corrupt entry in one step; a concurrent writer of the same inputs wrote the same bytes.
      renameSync(tmp, path);
    } catch {
      // The cache only saves work: a directory it cannot write to costs the next preparation time, not its result.
      rmSync(tmp, { force: true });
    }
  }
}
