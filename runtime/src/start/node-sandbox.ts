/** The node's sandbox: its engines' settings and the agent host on them. */
import path from 'node:path';
import type { EngineOptions } from '@caxton/sandbox';
import { SandboxAgentHost } from '../node/sandbox-host.js';
import type { StartContext } from './start-context.js';

export async function startSandbox(ctx: StartContext): Promise<{ host: SandboxAgentHost; engineOptions: EngineOptions }> {
  const { options, dataDir, undo } = ctx;
  const storage = ctx.topology.ports;
  // The node's engine settings: its shards' and the upgrade gate's engines (issue 57) are built alike.
  const engineOptions: EngineOptions = {
    ...(options.prepare?.deadlineMs !== undefined ? { prepareDeadlineMs: options.prepare.deadlineMs } : {}),
    ...(options.prepare?.maxHeapMb !== undefined ? { prepareMaxHeapMb: options.prepare.maxHeapMb } : {}),
    ...(options.prepare?.componentLimits !== undefined ? { componentLimits: options.prepare.componentLimits } : {}),
    ...(options.maxArtifactBytes !== undefined ? { maxComponentBytes: options.maxArtifactBytes } : {}),
    // A cached entry that failed its check is prepared again; the operator should know (decision 2135).
    onCacheEntryRefused: (err) => process.stderr.write(`caxton: prepare cache: ${err.message}. ${err.hint ?? ''}\n`),
    // Past its bound the cache drops the least recently used (decision 2141): said, so a cache too small to hold the node's components shows.
    ...(options.prepare?.cacheMaxBytes !== undefined ? { cacheMaxBytes: options.prepare.cacheMaxBytes } : {}),
    onCacheEvicted: (r) =>
      process.stderr.write(
        `caxton: prepare cache: evicted ${r.entries} prepared components and ${r.modules} instrumented modules (${mib(r.bytes)} MiB, least recently used): it held ${mib(r.totalBytes)} MiB, its bound is ${mib(r.maxBytes)} MiB (--prepare-cache-max-mib)\n`,
      ),
  };
  const host = await SandboxAgentHost.create({
    cacheDir: options.prepare?.cacheDir ?? path.join(dataDir, 'cache'),
    shards: options.shards,
    state: storage.state,
    engine: engineOptions,
  });
  undo.push(() => host.close());
  return { host, engineOptions };
}

/** Bytes as MiB with one decimal, for the prepare cache's eviction line. */
function mib(bytes: number): string {
  return (bytes / 1024 ** 2).toFixed(1);
}
