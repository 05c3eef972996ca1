/** The embedded on-disk MessageLog: the bus's default durable persistence. See docs/embedded-log.md. */
export { EmbeddedMessageLog, type EmbeddedLogStats } from './embedded-message-log.js';
export { DEFAULTS as EMBEDDED_LOG_DEFAULTS, type EmbeddedMessageLogOptions, type EmbeddedLogEvent } from './options.js';
export { EmbeddedLogError, type EmbeddedLogErrorCode, type EmbeddedLogWarning } from './errors.js';
export type { FsyncPolicy } from './group-committer.js';
export type { CorruptionPolicy } from './frame-scan.js';
