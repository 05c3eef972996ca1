/**
 * `caxton serve` telemetry flags (issue 13, decision 1300): where spans and metrics go, how many
 * traces are kept, how logs are written. The same settings come from the standard OTEL_*
 * variables; a flag overrides its variable. The flags only: parsing and validation are the
 * runtime's (parseTelemetryConfig, one definition for serve, embedders and tests), called from
 * serve-telemetry-config.ts when serve runs.
 */
import type { Argv } from 'yargs';

export interface TelemetryArgs {
  otlpEndpoint?: string;
  otlpProtocol?: string;
  traceSample?: number;
  metricsAddr?: string;
  metricsMaxAgents?: number;
  logFormat?: string;
}

export function telemetryOptions<T>(y: Argv<T>): Argv<T & TelemetryArgs> {
  return y
    .option('otlp-endpoint', {
      type: 'string',
      describe:
        'OTLP/HTTP base URL for traces and metrics, e.g. http://otel-collector:4318 (default: $OTEL_EXPORTER_OTLP_ENDPOINT; none = no OTLP export)',
    })
    .option('otlp-protocol', {
      type: 'string',
      describe: 'OTLP encoding: http/protobuf (the only one this build ships; default $OTEL_EXPORTER_OTLP_PROTOCOL)',
    })
    .option('trace-sample', {
      type: 'number',
      describe: 'Share of new traces kept, 0 to 1, parent-based (default: $OTEL_TRACES_SAMPLER, else all)',
    })
    .option('metrics-addr', { type: 'string', describe: 'Serve Prometheus metrics at http://host:port/metrics (default: not served)' })
    .option('metrics-max-agents', {
      type: 'number',
      describe: 'Agents with their own metric series; later ones are counted as agent="other" (default 200)',
    })
    .option('log-format', {
      type: 'string',
      choices: ['text', 'json'],
      describe: 'text, or json: one JSON object per line with time, level, msg, node and trace ids; agent log lines are printed too',
    }) as unknown as Argv<T & TelemetryArgs>;
}
