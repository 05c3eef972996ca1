/** The FIPA HTTP MTP of a node (decision 1910): its one public entry point. */
export {
  startAccServer,
  checkAccBinding,
  messageFromPost,
  sameSendKey,
  DEFAULT_MAX_MTP_BODY_BYTES,
  MAX_MTP_POSTS_IN_FLIGHT,
  MAX_MTP_POSTS_IN_FLIGHT_PER_PEER,
  type AccEndpoint,
  type AccServerOptions,
} from './acc-server.js';
export {
  MtpSender,
  destinationOf,
  mtpFailureId,
  mtpRetryDelayMs,
  retryAfterMs,
  DEFAULT_MTP_RETRY,
  type MtpFailureKind,
  type MtpRetry,
  type MtpSenderOptions,
} from './mtp-sender.js';
export { parseMtpPeers, MtpPeerTable, platformOf, DEFAULT_PEER_RATE, type MtpPeer } from './peers.js';
export { PLATFORM_NAME, checkPlatformName, parseAccAdvertise, checkAccAdvertise, isWildcardHost } from './advertise.js';
export { keepPlatformName, readKeptPlatformName, PlatformChangedError, PlatformFileError, PLATFORM_FILE } from './platform-file.js';
export { MtpConfigError, MtpFailureNotDurable, MtpOutboxNotDurable, MtpRefusal } from './errors.js';
export { InFlight, TokenBuckets } from './rate-limit.js';
export {
  SIGNATURE_PARAM,
  MtpSigningRing,
  canonicalMessageBytes,
  verifyMessageSignature,
  withoutSignature,
  privateKeyFromSeed,
  publicKeyFromRaw,
  rawPublicKeyBase64,
  type SignatureFault,
  type SignatureVerdict,
} from './message-signature.js';
export { parseMtpSigningKeys, readMtpSigningKeys } from './signing-keys.js';
