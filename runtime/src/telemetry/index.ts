/** Telemetry: configuration, the SDK start/stop, bounded labels, JSON logs (decisions 1106, 1300). */
export {
  parseTelemetryConfig,
  describeTelemetry,
  SUPPORTED_OTLP_PROTOCOLS,
  DEFAULT_SERVICE_NAME,
  type TelemetryConfig,
  type TelemetryFlags,
  type OtlpTarget,
  type SamplerConfig,
  type LogFormat,
} from './config.js';
export { startTelemetry, DEFAULT_SHUTDOWN_TIMEOUT_MS, type RunningTelemetry, type StartTelemetryOptions } from './start-telemetry.js';
export { boundedAgentLabel, setMaxAgentLabels, OTHER_AGENT_LABEL, DEFAULT_MAX_AGENT_LABELS } from './cardinality.js';
export { TelemetryError, TELEMETRY_ERROR_KINDS, type TelemetryErrorCode } from './errors.js';
export { installJsonLogs, formatJsonLogLine, levelOf } from './json-log.js';
export { exportNodeLines, nodeLineRecord, MAX_NODE_LINE_BYTES } from './node-log-export.js';
export { resourceAttributes, type NodeIdentity } from './resource.js';
