/**
 * The resource every span and metric of a node carries: who produced it. `service.instance.id` is
 * the node id (stable across restarts: it is kept in the data dir), so a backend tells the nodes of
 * one cluster apart; `caxton.node.id` and `caxton.cluster` say the same in Caxton's own words for
 * dashboards that group by cluster. OTEL_RESOURCE_ATTRIBUTES adds to these and cannot override
 * the node's identity (two nodes reporting as one would merge their series).
 */
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { TelemetryConfig } from './config.js';

export interface NodeIdentity {
  nodeId: string;
  /** The cluster name in cluster mode; undefined for an embedded (single) node. */
  cluster: string | undefined;
  version: string;
}

export function resourceAttributes(
  config: Pick<TelemetryConfig, 'serviceName' | 'resourceAttributes'>,
  node: NodeIdentity,
): Record<string, string> {
  return {
    ...config.resourceAttributes,
    'service.name': config.serviceName,
    'service.version': node.version,
    'service.instance.id': node.nodeId,
    'caxton.node.id': node.nodeId,
    'caxton.cluster': node.cluster ?? 'embedded',
  };
}

export function nodeResource(config: TelemetryConfig, node: NodeIdentity): Resource {
  return resourceFromAttributes(resourceAttributes(config, node));
}

/** The labels every Prometheus series carries (see constant-labels.ts): the same identity, in the dashboard's words. */
export function prometheusLabels(node: NodeIdentity): Record<string, string> {
  return { node: node.nodeId, cluster: node.cluster ?? 'embedded' };
}
