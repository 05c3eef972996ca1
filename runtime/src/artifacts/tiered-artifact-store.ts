/**
 * A node's view of cluster artifacts: the cluster store is the source of truth, the local file
 * store a verified cache. A node instantiates a component from local disk after the first fetch,
 * keeps starting agents whose components it has cached while etcd is unreachable, and does not pull
 * megabytes out of etcd on every restart.
 */
import { ArtifactError, type ArtifactStore } from './artifact-store.js';

export class TieredArtifactStore implements ArtifactStore {
  constructor(
    private readonly local: ArtifactStore,
    private readonly cluster: ArtifactStore,
  ) {}

  /** Cluster first: the put is only acknowledged once every node can fetch it. */
  async put(bytes: Uint8Array): Promise<string> {
    const digest = await this.cluster.put(bytes);
    await this.local.put(bytes);
    return digest;
  }

  async get(digest: string): Promise<Uint8Array> {
    try {
      return await this.local.get(digest);
    } catch (err) {
      // Missing or damaged locally: fetch (verified) from the cluster and repair the cache.
      if (!(err instanceof ArtifactError) || err.code === 'artifact.invalid-digest') throw err;
    }
    const bytes = await this.cluster.get(digest);
    await this.local.put(bytes);
    return bytes;
  }

  async has(digest: string): Promise<boolean> {
    return (await this.local.has(digest)) || this.cluster.has(digest);
  }

  async delete(digest: string): Promise<void> {
    await this.cluster.delete(digest);
    await this.local.delete(digest);
  }

  list(): Promise<string[]> {
    return this.cluster.list();
  }
}
