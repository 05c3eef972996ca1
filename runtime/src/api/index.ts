/** The management API: the NodeControl contract and the gRPC server (the typed client is @caxton/client's). */
// The control model (NodeControl and its types) is @caxton/core's.
export * from './errors.js';
export {
  startApiServer,
  DEFAULT_MAX_ARTIFACT_BYTES,
  DEFAULT_MAX_MESSAGE_BYTES,
  type ApiServer,
  type ApiServerOptions,
  type ApiTlsOptions,
} from './server.js';
export { ensureAuthToken, readTokenFile, tokenFilePath, TOKEN_FILE_NAME, TokenFileError } from './auth.js';
// Re-exported so embedders and tests that start a node and drive it need one import; the
// definitions live in @caxton/client (decision 1780), which the CLI loads without the node.
export {
  CaxtonClient,
  ApiCallError,
  toApiCallError,
  GRPC_STATUS_BY_KIND,
  grpcStatusForKind,
  errorKindForGrpcStatus,
  CAXTON_PROTO_FILE,
  CAXTON_SERVICE_NAME,
  PROTO_ROOT,
  type CaxtonClientOptions,
  type ClientTlsOptions,
  type SendCallOptions,
  type SendInput,
  type StreamHandle,
  type UploadHeader,
  type IssuedTokenView,
  type AgentView,
  type NodeStatusView,
} from '@caxton/client';
