/**
 * Artifacts in etcd, for clusters: every node can fetch any component with the one dependency it
 * already has, and a component outlives the node that deployed it (docs/decisions/0703-artifact-store.md).
 *
 * etcd refuses requests over ~1.5 MiB, and components run to 12+ MB, so an artifact is stored as
 * chunks plus a manifest:
 *   <prefix>store/artifacts/<sha256>/chunks/<000000..>   raw bytes, `chunkBytes` each (last shorter)
 *   <prefix>store/artifacts/<sha256>/manifest            JSON: size, chunkBytes, per-chunk sha256
 * Chunks are written first and the manifest last, so a manifest means a complete artifact; an upload
 * cut short leaves chunks without a manifest, which the next put of the same bytes overwrites. Reads
 * verify each chunk and the whole, and name the damaged chunk.
 */
import type { EtcdConnection } from '../registry/etcd/connection.js';
import type { KeyLayout } from '../registry/etcd/keys.js';
import { ArtifactError, assertDigest, notFound, sha256Hex, verified, type ArtifactStore } from './artifact-store.js';

export interface EtcdArtifactStoreOptions {
  connection: EtcdConnection;
  keys: KeyLayout;
  /** Bytes per chunk. Default 1 MiB; at most 1.4 MiB to stay under etcd's default request limit. */
  chunkBytes?: number;
  /** Chunk requests in flight at once (put and get). Default 4. */
  concurrency?: number;
}

interface Manifest {
  format: 'caxton-artifact';
  version: 1;
  digest: string;
  size: number;
  chunkBytes: number;
  chunks: string[];
  storedAt: number;
}

const MAX_CHUNK = 1.4 * 1024 * 1024;

export class EtcdArtifactStore implements ArtifactStore {
  private readonly conn: EtcdConnection;
  private readonly keys: KeyLayout;
  private readonly chunkBytes: number;
  private readonly concurrency: number;

  constructor(opts: EtcdArtifactStoreOptions) {
    this.conn = opts.connection;
    this.keys = opts.keys;
    this.chunkBytes = opts.chunkBytes ?? 1024 * 1024;
    this.concurrency = opts.concurrency ?? 4;
    if (!Number.isInteger(this.chunkBytes) || this.chunkBytes < 1 || this.chunkBytes > MAX_CHUNK) {
      throw new RangeError(`chunkBytes must be an integer in 1..${MAX_CHUNK}, got ${this.chunkBytes}`);
    }
  }

  private chunkKey(digest: string, i: number): string {
    return `${this.keys.artifactPrefix(digest)}chunks/${String(i).padStart(6, '0')}`;
  }

  private manifestKey(digest: string): string {
    return `${this.keys.artifactPrefix(digest)}manifest`;
  }

  async put(bytes: Uint8Array): Promise<string> {
    const digest = sha256Hex(bytes);
    if (await this.has(digest)) return digest;
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const count = Math.max(1, Math.ceil(buf.length / this.chunkBytes));
    const chunks: string[] = new Array<string>(count);
    await this.inParallel(count, async (i) => {
      const part = buf.subarray(i * this.chunkBytes, Math.min(buf.length, (i + 1) * this.chunkBytes));
      chunks[i] = sha256Hex(part);
      await this.conn.call('store an artifact chunk', () => this.conn.client.put(this.chunkKey(digest, i)).value(part).exec());
    });
    const manifest: Manifest = {
      format: 'caxton-artifact',
      version: 1,
      digest,
      size: buf.length,
      chunkBytes: this.chunkBytes,
      chunks,
      storedAt: Date.now(),
    };
    const key = this.manifestKey(digest);
    // Create-if-absent: a concurrent put of the same bytes by another node wrote equal chunks.
    await this.conn.call('store an artifact manifest', () =>
      this.conn.client
        .if(key, 'Create', '==', 0)
        .then(this.conn.client.put(key).value(JSON.stringify(manifest)))
        .commit(),
    );
    return digest;
  }

  async get(digest: string): Promise<Uint8Array> {
    const manifest = await this.manifest(digest);
    if (!manifest) throw notFound(digest, 'cluster artifact store');
    const parts: Buffer[] = new Array<Buffer>(manifest.chunks.length);
    await this.inParallel(manifest.chunks.length, async (i) => {
      const part = await this.conn.call('read an artifact chunk', () => this.conn.client.get(this.chunkKey(digest, i)).buffer());
      if (!part || sha256Hex(part) !== manifest.chunks[i]) {
        throw new ArtifactError(
          'artifact.corrupt',
          `artifact ${digest}: chunk ${i} of ${manifest.chunks.length} is ${part ? 'damaged' : 'missing'}`,
          {
            context: { digest, chunk: i, key: this.chunkKey(digest, i) },
            hint: 'delete the artifact and put the component again (put alone keeps an existing manifest)',
          },
        );
      }
      parts[i] = part;
    });
    return verified(digest, Buffer.concat(parts, manifest.size), 'cluster artifact store');
  }

  async has(digest: string): Promise<boolean> {
    assertDigest(digest);
    const key = this.manifestKey(digest);
    return this.conn.call('look up an artifact', () => this.conn.client.get(key).exists());
  }

  /** Manifest first (readers stop finding it), then the chunks. */
  async delete(digest: string): Promise<void> {
    assertDigest(digest);
    await this.conn.call('delete an artifact', () => this.conn.client.delete().key(this.manifestKey(digest)).exec());
    await this.conn.call('delete artifact chunks', () => this.conn.client.delete().prefix(this.keys.artifactPrefix(digest)).exec());
  }

  async list(): Promise<string[]> {
    const root = this.keys.artifactsRoot();
    const keys = await this.conn.call('list artifacts', () => this.conn.client.getAll().prefix(root).keys());
    return keys
      .filter((k) => k.endsWith('/manifest'))
      .map((k) => k.slice(root.length, root.length + 64))
      .sort();
  }

  private async manifest(digest: string): Promise<Manifest | undefined> {
    assertDigest(digest);
    const raw = await this.conn.call('read an artifact manifest', () => this.conn.client.get(this.manifestKey(digest)).string());
    if (raw === null) return undefined;
    try {
      const m = JSON.parse(raw) as Manifest;
      if (m.format !== 'caxton-artifact' || m.digest !== digest || !Array.isArray(m.chunks)) throw new Error('unexpected manifest shape');
      return m;
    } catch (cause) {
      throw new ArtifactError('artifact.corrupt', `artifact ${digest} has an unreadable manifest`, {
        context: { digest, key: this.manifestKey(digest) },
        hint: 'delete the artifact and put the component again',
        cause,
      });
    }
  }

  private async inParallel(count: number, fn: (i: number) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < count; i = next++) await fn(i);
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, count) }, worker));
  }
}
