/** Kafka MessageLog for clusters. Everything kafkajs-specific stays behind this folder. */
export { KafkaMessageLog } from './kafka-message-log.js';
export type {
  KafkaMessageLogOptions,
  KafkaLogEvent,
  KafkaLogSink,
  KafkaLogLevel,
  KafkaTlsOptions,
  KafkaSaslOptions,
  KafkaRequestShape,
} from './options.js';
export { partitionFor, murmur2 } from './partitioner.js';
export { placementKey, partitionKey, partitionOwner, assignPartitions, instanceNode, replicaUnitNodes } from './partition-placement.js';
export {
  KafkaUnreachableError,
  KafkaMisconfiguredError,
  KafkaAppendError,
  KafkaCommitError,
  KafkaNotOwnerError,
  KafkaLogStateError,
  KafkaSecurityError,
  KafkaStateReadBoundError,
} from './errors.js';
export { RecordKeyRing, parseRecordKeys, MAC_HEADER, type RecordKeySpec, type RecordVerdict } from './record-mac.js';
export { encodeDelivery as encodeDeliveryRecord } from './codec.js';
