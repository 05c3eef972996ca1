/**
 * JS API of the infra scripts, imported by test runners (plain .mjs: no TypeScript build needed).
 *
 *   const kafka = await startKafka();            // { bootstrap: '127.0.0.1:PORT', stop(), restart(), kill(), start() }
 *   const etcd = await startEtcd();              // { endpoint: 'http://127.0.0.1:PORT', stop(), ... }
 *   ...
 *   await kafka.stop(); await etcd.stop();
 *   const { etcd, kafka } = await startEtcdAndKafka({ kafka: { heap: '384m' } }); // both or neither
 */
export { startKafka, clusterId } from './kafka.mjs';
export { installKafka, kafkaVersion, kafkaHome, DEFAULT_KAFKA_VERSION } from './kafka-install.mjs';
export { startEtcd, installEtcd } from './etcd.mjs';
export { startEtcdAndKafka } from './both.mjs';
export { installGrpcurl, GRPCURL_VERSION } from './grpcurl.mjs';
export { installWasmTools, WASM_TOOLS_VERSION } from './wasm-tools.mjs';
export { freePort } from './lib/ports.mjs';
export { cacheDir } from './lib/paths.mjs';
export { InfraError } from './lib/errors.mjs';
