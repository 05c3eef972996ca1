/**
 * Real Kafka and etcd for the cluster tests: the ones `npm test` started (CAXTON_TEST_KAFKA /
 * CAXTON_TEST_ETCD), or private ones through scripts/infra when a test must restart them or runs
 * alone. Private servers die with the test process even if it is SIGKILLed (scripts/infra).
 */
import { pathToFileURL } from 'node:url';
import type { EtcdHandle, KafkaHandle, StartEtcdOptions, StartKafkaOptions } from '../../../scripts/infra/index.d.mts';
import { INFRA } from './paths.js';

interface Infra {
  startKafka(opts?: StartKafkaOptions): Promise<KafkaHandle>;
  startEtcd(opts?: StartEtcdOptions): Promise<EtcdHandle>;
  startEtcdAndKafka(opts?: { etcd?: StartEtcdOptions; kafka?: StartKafkaOptions }): Promise<{ etcd: EtcdHandle; kafka: KafkaHandle }>;
}

export const infra = (): Promise<Infra> => import(pathToFileURL(INFRA).href) as Promise<Infra>;

export interface Servers {
  kafka: string;
  etcd: string;
  /** Private handles (restart/kill); undefined when the shared servers are used. */
  kafkaHandle?: KafkaHandle;
  etcdHandle?: EtcdHandle;
  stop(): Promise<void>;
}

/** Kafka JVM heap for test brokers: 2 cores and other engineers' work share this machine. */
export const TEST_KAFKA_HEAP = '384m';

export async function servers(opts: { private?: boolean; kafka?: StartKafkaOptions } = {}): Promise<Servers> {
  const sharedKafka = process.env['CAXTON_TEST_KAFKA'];
  const sharedEtcd = process.env['CAXTON_TEST_ETCD'];
  if (!opts.private && sharedKafka && sharedEtcd) return { kafka: sharedKafka, etcd: sharedEtcd, stop: async () => {} };
  const { etcd: etcdHandle, kafka: kafkaHandle } = await (await infra()).startEtcdAndKafka({
    kafka: { heap: TEST_KAFKA_HEAP, ...opts.kafka },
  });
  return {
    kafka: kafkaHandle.bootstrap,
    etcd: etcdHandle.endpoint,
    kafkaHandle,
    etcdHandle,
    async stop() {
      await Promise.allSettled([kafkaHandle.stop({ graceMs: 5000 }), etcdHandle.stop()]);
    },
  };
}

/** A cluster name no other test (or earlier run against the same servers) uses. */
export function uniqueCluster(prefix: string): string {
  return `${prefix}-${process.pid.toString(36)}-${Date.now().toString(36)}`;
}
