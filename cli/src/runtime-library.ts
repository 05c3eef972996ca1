/**
 * The runtime's pieces the CLI itself needs, for commands that run no node: signing keys and
 * signatures (`keygen`, `sign`), the trust check of `audit verify`, the `--allow-http` rule parser
 * (`deploy`). They come from `@caxton/runtime/offline`, which loads node:crypto and @caxton/core
 * only — the package's main entry would load the node's whole graph (Kafka, etcd, gRPC,
 * OpenTelemetry, the sandbox), seconds of CPU for one signature (decision 2138). Fetched on first
 * use, never at start-up (decision 1780).
 */
export type RuntimeLibrary = typeof import('@caxton/runtime/offline');

export function runtimeLibrary(): Promise<RuntimeLibrary> {
  return import('@caxton/runtime/offline');
}
