/**
 * The telemetry flags (serve-telemetry-options.ts) and the OTEL_* environment → the node's
 * telemetry config, by the runtime's own parser. Loaded only when serve runs.
 */
import { parseTelemetryConfig, type TelemetryConfig } from '@caxton/runtime';
import type { TelemetryArgs } from './serve-telemetry-options.js';

/** The flags and the environment → the node's telemetry config; undefined when nothing is asked for. */
export function telemetryFromArgs(argv: TelemetryArgs, env: Readonly<Record<string, string | undefined>>): TelemetryConfig | undefined {
  const config = parseTelemetryConfig(argv, env);
  return config.enabled || config.logFormat !== 'text' ? config : undefined;
}
