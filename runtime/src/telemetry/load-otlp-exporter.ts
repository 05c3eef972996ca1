/**
 * The OTLP exporters (with their transformer, their HTTP base and protobufjs) are imported when a
 * node's telemetry config exports that signal, not with every import of the runtime: most nodes
 * and every CLI or test process that loads the runtime export nothing over OTLP (decision 2138).
 */
import { TelemetryError } from './errors.js';

export type OtlpSignal = 'traces' | 'metrics' | 'logs';

/** Runs `load` (a dynamic import of `library`, the signal's exporter); a failure is a TelemetryError with a hint. */
export async function loadOtlpExporter<T>(signal: OtlpSignal, library: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    throw new TelemetryError('telemetry.unsupported', `the OTLP ${signal} exporter could not be loaded: ${(err as Error).message}`, {
      context: { signal, library },
      cause: err,
      hint: `its library (${library}) is missing or broken: reinstall caxton's dependencies (\`npm ci\`), or start the node without OTLP ${signal} export`,
    });
  }
}
