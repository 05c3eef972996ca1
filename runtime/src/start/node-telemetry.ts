/** The node's side of telemetry: its identity (node id, cluster name, version) joined to the config. */
import type { StartNodeOptions } from './options.js';
import { startTelemetry, type RunningTelemetry } from '../telemetry/start-telemetry.js';

/** Registers the SDK when `options.telemetry` asks for any export; undefined otherwise. */
export async function startNodeTelemetry(
  options: StartNodeOptions,
  nodeId: string,
  version: string,
): Promise<RunningTelemetry | undefined> {
  if (!options.telemetry?.enabled) return undefined;
  const clustered = options.kafka !== undefined && options.etcd !== undefined;
  return startTelemetry(options.telemetry, { nodeId, version, cluster: clustered ? (options.cluster?.name ?? 'default') : undefined });
}
