/**
 * Start etcd and Kafka side by side. If either fails, the one that did start is stopped before the
 * error is rethrown: a half-started pair must not leave a live server holding the caller's event
 * loop open (a test file whose setup failed would then never exit and the run would hang).
 */
import { startKafka } from './kafka.mjs';
import { startEtcd } from './etcd.mjs';

/**
 * @param {{ etcd?: import('./index.d.mts').StartEtcdOptions, kafka?: import('./index.d.mts').StartKafkaOptions }} [opts]
 * @returns {Promise<{ etcd: import('./index.d.mts').EtcdHandle, kafka: import('./index.d.mts').KafkaHandle }>}
 */
export async function startEtcdAndKafka(opts = {}) {
  const [etcd, kafka] = await Promise.allSettled([startEtcd(opts.etcd), startKafka(opts.kafka)]);
  if (etcd.status === 'fulfilled' && kafka.status === 'fulfilled') return { etcd: etcd.value, kafka: kafka.value };
  await Promise.allSettled([etcd, kafka].filter((r) => r.status === 'fulfilled').map((r) => r.value.stop()));
  throw etcd.status === 'rejected' ? etcd.reason : /** @type {PromiseRejectedResult} */ (kafka).reason;
}
