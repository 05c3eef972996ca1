/**
 * The node's library, @caxton/runtime, for the few things the CLI itself needs from it: signing
 * keys and signatures, the trust check of `audit verify`, the `--allow-http` rule parser. Importing
 * it loads the node's whole graph (Kafka, etcd, OpenTelemetry, the sandbox), which costs more than
 * a second, so it is fetched on first use only, never at start-up (decision 1780).
 */
export type RuntimeLibrary = typeof import('@caxton/runtime');

export function runtimeLibrary(): Promise<RuntimeLibrary> {
  return import('@caxton/runtime');
}
