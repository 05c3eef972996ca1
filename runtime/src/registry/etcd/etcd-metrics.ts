/**
 * etcd metrics (decision 1301): the latency of every unary etcd request, by operation, and whether
 * this node holds a live membership lease. Requests come from the connection's `request` events
 * (one per etcd call, emitted only to a listener); the lease from placement's membership events.
 */
import type { Meter } from '@opentelemetry/api';
import type { Instrumentation } from '@caxton/core';
import type { EtcdEvent } from './connection.js';
import { SECONDS_BUCKETS } from '../../telemetry/meters.js';

/** First word of what a call does (`EtcdConnection.call(what, …)`) → the etcd operation it is. */
const OPS: Record<string, string> = {
  store: 'put',
  delete: 'delete',
  read: 'range',
  list: 'range',
  load: 'range',
  look: 'range',
  claim: 'txn',
  confirm: 'txn',
  release: 'txn',
  register: 'txn',
  write: 'txn',
  append: 'txn',
  grant: 'lease-grant',
  revoke: 'lease-revoke',
  renew: 'lease-keepalive',
  inspect: 'lease-ttl',
};

/**
 * The `op` label of a call described as `what` ("store an agent" → put, "renew the membership
 * lease" → lease-keepalive). A fixed set of values, so the label stays bounded; a call site
 * described with an unknown verb is `other` rather than a new series.
 */
export function etcdOp(what: string): string {
  const verb = /^[a-z]+/.exec(what)?.[0] ?? '';
  return OPS[verb] ?? 'other';
}

export function installEtcdMetrics(meter: Meter, events: Instrumentation<EtcdEvent>, leaseUp: () => boolean): () => void {
  const duration = meter.createHistogram('caxton.etcd.request.duration.seconds', {
    description: 'Time of one etcd request (a transaction counts as one), failed ones included',
    unit: 's',
    advice: { explicitBucketBoundaries: SECONDS_BUCKETS },
  });
  const lease = meter.createObservableGauge('caxton.etcd.lease.up', {
    description: '1 while this node holds a live membership lease in etcd, else 0',
  });
  const labels = new Map<string, { op: string }>();
  const off = events.onType('request', (e) => {
    let attrs = labels.get(e.what);
    if (attrs === undefined) labels.set(e.what, (attrs = { op: etcdOp(e.what) }));
    duration.record(e.seconds, attrs);
  });
  const observe = (r: { observe(value: number): void }): void => r.observe(leaseUp() ? 1 : 0);
  lease.addCallback(observe);
  return () => {
    off();
    lease.removeCallback(observe);
  };
}
