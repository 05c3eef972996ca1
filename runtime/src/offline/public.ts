/**
 * `@caxton/runtime/offline`: the runtime's pieces that work without a node — signing keys and
 * statements, the audit anchor's Ed25519 check, the `--allow-http` rule parser — for tools such as
 * the CLI's `keygen`, `sign`, `deploy --allow-http` and `audit verify`. A subpath of its own because
 * the package's main entry loads the node's whole graph (Kafka, etcd, gRPC, OpenTelemetry, the
 * sandbox: ~1,500 modules, seconds of CPU) for what these need of it: node:crypto and @caxton/core
 * (decision 2138). Nothing here may import a listener, a store or the node.
 */
export * from '../signing/index.js';
export { verifyEd25519 } from '../audit/audit-key.js';
export { parseAllowHttpFlag } from '../http/allow-flag.js';
