/**
 * `@caxton/runtime/cluster`: the cluster's external-service adapters as values — the Kafka message
 * log, the etcd registry and the etcd connection — for tools and benches that drive them without a
 * node. A subpath of its own because they import kafkajs, etcd3 and cockatiel, which a node on the
 * embedded log and registry never uses (gRPC and protobufjs load anyway, for the API server): the
 * main entry exports them as types only, and a node configured for Kafka and etcd imports the
 * cluster topology when it opens it (topology/open-topology.ts, decision 2146). Each definition
 * stays where it is.
 */
export { KafkaMessageLog } from '../log/kafka/index.js';
/** Signed records (decision 2185): the key ring, and a delivery's record as the log writes it, for the bench of their cost. */
export { RecordKeyRing, parseRecordKeys, encodeDeliveryRecord } from '../log/kafka/index.js';
export { EtcdRegistry } from '../registry/etcd/etcd-registry.js';
export { EtcdConnection } from '../registry/etcd/connection.js';
