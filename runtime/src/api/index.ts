/** The management API: the NodeControl contract, the gRPC server and a typed client. */
// The control model (NodeControl and its types) is @caxton/core's.
export * from './errors.js';
export {
  startApiServer, DEFAULT_MAX_ARTIFACT_BYTES, DEFAULT_MAX_MESSAGE_BYTES, type ApiServer, type ApiServerOptions, type ApiTlsOptions,
} from './server.js';
export { CaxtonClient, type CaxtonClientOptions, type ClientTlsOptions, type SendCallOptions, type SendInput, type StreamHandle, type UploadHeader } from './client.js';
export { ApiCallError, toApiCallError } from './client-errors.js';
export type { IssuedTokenView } from './convert-token.js';
export type { AgentView } from './convert-agent.js';
export type { NodeStatusView } from './convert-node.js';
export { ensureAuthToken, readTokenFile, tokenFilePath, TOKEN_FILE_NAME, TokenFileError } from './auth.js';
export { GRPC_STATUS_BY_KIND, grpcStatusForKind, errorKindForGrpcStatus } from './grpc-status.js';
export { CAXTON_PROTO_FILE, CAXTON_SERVICE_NAME, PROTO_ROOT } from './proto.js';
