/** The node's HTTP listeners' shared TLS rule and start (decision 2040). */
export {
  checkPlaintextBinding,
  LISTENER_CERT_FLAGS,
  LISTENER_INSECURE_FLAG,
  LISTENER_HANDSHAKE_TIMEOUT_MS,
  LISTENER_MAX_CONNECTIONS,
  MAX_LISTENER_PEM_BYTES,
  listenHttp,
  plaintextHint,
  plaintextRefused,
  readListenerTls,
  urlHost,
  type HttpListener,
  type HttpListenerOptions,
  type ListenerFailure,
  type PlaintextBinding,
  type ListenerSecurity,
  type ListenerTls,
} from './http-listener.js';
export { BoundedFileError, readBoundedFile, readBoundedFileSync } from './bounded-file.js';
