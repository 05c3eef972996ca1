/**
 * Message-log metrics (decision 1301): append latency, group-commit size and log bytes from the
 * embedded log, which reports once per commit group (never per message) and only to a listener;
 * the Kafka log records the same append instruments (kafka/kafka-metrics.ts). Installed only when a
 * MeterProvider is registered (telemetry/meters.ts).
 */
import type { Meter } from '@opentelemetry/api';
import type { EmbeddedMessageLog } from './embedded/embedded-message-log.js';
import { COUNT_BUCKETS, SECONDS_BUCKETS } from '../telemetry/meters.js';

/** The log-side histograms and gauge, shared by the embedded log and Kafka (same names, one per node). */
export function logInstruments(meter: Meter): {
  append: ReturnType<Meter['createHistogram']>;
  groupSize: ReturnType<Meter['createHistogram']>;
} {
  return {
    append: meter.createHistogram('caxton.bus.append.duration.seconds', {
      description: 'Time to make one group of appended records durable: write and fsync (embedded), produce acknowledged (Kafka)',
      unit: 's',
      advice: { explicitBucketBoundaries: SECONDS_BUCKETS },
    }),
    groupSize: meter.createHistogram('caxton.bus.group.commit.size', {
      description: 'Records made durable together by one write (+ fsync) or one produce request',
      unit: '{record}',
      advice: { explicitBucketBoundaries: COUNT_BUCKETS },
    }),
  };
}

/** The embedded log: one observation per commit group, and its size on disk at collection. */
export function installEmbeddedLogMetrics(meter: Meter, log: EmbeddedMessageLog): () => void {
  const { append, groupSize } = logInstruments(meter);
  const bytes = meter.createObservableGauge('caxton.bus.log.bytes', {
    description: 'Bytes of the message log on disk (segment files retention keeps)',
    unit: 'By',
  });
  const off = log.events.onType('group-committed', (g) => {
    append.record(g.seconds);
    groupSize.record(g.frames);
  });
  const observe = (r: { observe(value: number): void }): void => {
    // A log not open yet (or closed) has no segments: nothing to report rather than a false 0.
    try {
      r.observe(log.stats().bytes);
    } catch {
      // stats() of a closed log: skip this collection.
    }
  };
  bytes.addCallback(observe);
  return () => {
    off();
    bytes.removeCallback(observe);
  };
}
