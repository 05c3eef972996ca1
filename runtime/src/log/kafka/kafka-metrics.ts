/**
 * Kafka metrics (decision 1301): produce latency of the deliveries topic (also the bus's append
 * latency and group size in a cluster: a produce request is what makes an append durable there),
 * the consumer lag of each partition this node consumes, as of its last fetched batch, and the
 * records the owner's sweep of the state topic wrote (decision 1800). All come from the log's
 * events, emitted once per request, batch or sweep run and only to a listener.
 */
import type { Meter } from '@opentelemetry/api';
import type { KafkaMessageLog } from './kafka-message-log.js';
import { logInstruments } from '../log-metrics.js';
import { SECONDS_BUCKETS } from '../../telemetry/meters.js';

export function installKafkaMetrics(meter: Meter, log: Pick<KafkaMessageLog, 'events'>): () => void {
  const produce = meter.createHistogram('caxton.kafka.produce.duration.seconds', {
    description: 'Time from a produce request of deliveries to its acknowledgement by all in-sync replicas',
    unit: 's',
    advice: { explicitBucketBoundaries: SECONDS_BUCKETS },
  });
  const { append, groupSize } = logInstruments(meter);
  const lagGauge = meter.createObservableGauge('caxton.kafka.consumer.lag', {
    description: 'Records of a partition not yet fetched by this node, as of its last fetched batch',
  });
  const swept = meter.createCounter('caxton.kafka.state.swept.records', {
    description: "Records the sweep of the state topic wrote: tombstones (and headers), re-writes under the owner's claim, retired claims",
  });
  const offSwept = log.events.onType('state-swept', (e) => {
    const partition = String(e.partition);
    if (e.tombstones > 0) swept.add(e.tombstones, { partition, what: 'tombstone' });
    if (e.rewritten > 0) swept.add(e.rewritten, { partition, what: 'rewrite' });
    if (e.retired > 0) swept.add(e.retired, { partition, what: 'retired' });
  });
  // Records refused for their tag (decision 2185), by topic kind: the node's few topics, a bounded label.
  const refused = meter.createCounter('caxton.kafka.records.refused', {
    description: "Records read from the Kafka log without a valid tag of the cluster's record keys: not believed",
  });
  const offRefused = log.events.onType('record-refused', (e) => {
    refused.add(1, { topic: e.topic.slice(e.topic.lastIndexOf('.') + 1) });
  });
  /** Partition → lag and its label object (made once per partition). */
  const lags = new Map<number, { lag: number; attrs: { partition: string } }>();
  const offProduced = log.events.onType('produced', (e) => {
    produce.record(e.seconds);
    append.record(e.seconds);
    groupSize.record(e.records);
  });
  const offConsumed = log.events.onType('consumed', (e) => {
    const known = lags.get(e.partition);
    if (known === undefined) lags.set(e.partition, { lag: e.lag, attrs: { partition: String(e.partition) } });
    else known.lag = e.lag;
  });
  // A partition that moved to another node is no longer this node's to report.
  const offAssigned = log.events.onType('assignment', (e) => {
    const mine = new Set(e.partitions);
    for (const p of lags.keys()) if (!mine.has(p)) lags.delete(p);
  });
  const observe = (r: { observe(value: number, attrs: { partition: string }): void }): void => {
    for (const { lag, attrs } of lags.values()) r.observe(lag, attrs);
  };
  lagGauge.addCallback(observe);
  return () => {
    offProduced();
    offConsumed();
    offAssigned();
    offSwept();
    offRefused();
    lagGauge.removeCallback(observe);
  };
}
