/**
 * @caxton/client: everything a program needs to drive a Caxton node over caxton.v1 — the typed
 * gRPC client, the proto it loads, the wire types and their conversions to the core model, the
 * mapping between gRPC statuses and error kinds, and the node's token files. Nothing of the node:
 * importing it must stay cheap (no Kafka, etcd, telemetry SDK or sandbox), because every `caxton`
 * command that talks to a node loads it (decision 1780). The node's API server imports the wire
 * conversions and the proto from here, so each exists once.
 */
export {
  CaxtonClient,
  type CaxtonClientOptions,
  type ClientTlsOptions,
  type SendCallOptions,
  type SendInput,
  type StreamHandle,
  type UploadHeader,
} from './client.js';
export { ApiCallError, toApiCallError } from './client-errors.js';
export * from './convert-acl.js';
export * from './convert-agent.js';
export * from './convert-costs.js';
export * from './convert-http.js';
export * from './convert-node.js';
export * from './convert-dead-letter.js';
export * from './convert-token.js';
export * from './grpc-status.js';
export * from './overload-retry.js';
export * from './status-details.js';
export * from './token-file.js';
export * from './proto.js';
export {
  CLIENT_PROTO_FILES,
  CLIENT_PROTO_JSON,
  clientProtoRoot,
  loadClientProtoRoot,
  parseClientProtos,
  protoSourcesSha256,
  writeClientProtoDescriptor,
} from './proto-root.js';
export type * from './wire.js';
