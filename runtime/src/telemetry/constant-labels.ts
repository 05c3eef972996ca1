/**
 * `node` and `cluster` on every Prometheus series. Over OTLP the node's identity travels once per
 * export, in the resource; Prometheus has no resource (the exporter only offers a `target_info`
 * series and, optionally, resource attributes under their own sanitised names such as
 * `caxton_node_id`), and a dashboard that sums across a cluster needs plain `node` and `cluster`
 * labels on the series themselves (deploy/grafana/caxton-dashboard.json filters every panel by
 * them). So the scrape adds them to each data point's attributes; a data point that already has
 * such an attribute keeps its own value. Pure: the collected metrics are copied, not changed.
 */
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';

export function withConstantLabels(metrics: ResourceMetrics, labels: Readonly<Record<string, string>>): ResourceMetrics {
  return {
    resource: metrics.resource,
    scopeMetrics: metrics.scopeMetrics.map((scope) => ({
      scope: scope.scope,
      metrics: scope.metrics.map((metric) => ({
        ...metric,
        dataPoints: metric.dataPoints.map((point) => ({ ...point, attributes: { ...labels, ...point.attributes } })),
      })) as typeof scope.metrics,
    })),
  };
}
