/**
 * JS API of the infra scripts, imported by test runners (plain .mjs: no TypeScript build needed).
 *
 *   const kafka = await startKafka();            // { bootstrap: '127.0.0.1:PORT', stop(), restart(), kill(), start() }
 *   const etcd = await startEtcd();              // { endpoint: 'http://127.0.0.1:PORT', stop(), ... }
 *   ...
 *   await kafka.stop(); await etcd.stop();
 *   const { etcd, kafka } = await startEtcdAndKafka({ kafka: { heap: '384m' } }); // both or neither
 *
 * Observability (test/ops), each installed on first use into cacheDir() and reused:
 *
 *   const col = await startOtelCollector();      // a real OpenTelemetry Collector (ocb build, v0.162.0)
 *     // { otlpHttpEndpoint: 'http://127.0.0.1:P' (OTLP/HTTP: /v1/traces, /v1/metrics, /v1/logs,
 *     //   protobuf or JSON), otlpGrpcEndpoint: 'http://127.0.0.1:Q', tracesFile, metricsFile, logsFile
 *     //   (JSON lines: one export request per line, as the collector's file exporter writes it),
 *     //   readTraces(), readMetrics(), readLogs() → export requests so far,
 *     //   waitFor('traces' | 'metrics' | 'logs', (requests) => boolean, { timeoutMs }) → requests,
 *     //   stop(), restart(), kill(), tail() }
 *   otlpSpans(requests) / otlpMetrics(requests) / otlpLogRecords(requests)   // flattened, with resource and scope
 *   const { code, output } = await promtool(['test', 'rules', 'alerts.test.yaml'], { cwd });   // Debian's promtool
 *   const prom = await startPrometheus({ scrapeTargets: ['127.0.0.1:9464'], scrapeIntervalS: 1 });
 *     // Debian's prometheus, unpacked (no service): { url, query(promql) → { resultType, result },
 *     //   waitFor(promql, (data) => boolean, { timeoutMs }) → data, targets(), stop(), … }
 *   const kv = await installKubernetesValidate();   // path of `kubernetes-validate` (PyPI, in a venv)
 *     // kv --strict -k KUBERNETES_SCHEMA_VERSION deploy/k8s/*.yaml
 *
 * Secured servers (issue 14): `const pki = await makeTestPki(dir)` (openssl: a CA, a server and a
 * client certificate), then `startKafka({ security: { pki, scram: { mechanism: 'SCRAM-SHA-256', users },
 * requireClientCert } })` (a SASL_SSL listener) and `startEtcd({ security: { pki, requireClientCert,
 * users } })` (TLS on the client port, authentication enabled).
 *
 * Components in OCI registries (decision 2172): `const reg = await startOciRegistry({ users })` (CNCF
 * Distribution v3, built once from the Go module proxy: { address: '127.0.0.1:P', url, root, stop(), … }),
 * `const oras = await installOras()` (the independent client, `go install`ed once).
 *
 * Every handle's stop() ends the process (SIGTERM, then SIGKILL) and deletes its temp dir; all of
 * them listen on 127.0.0.1 only. Errors are InfraError with a code and a hint.
 */
export { startKafka, clusterId, kafkaClientSecurity } from './kafka.mjs';
export { makeTestPki } from './certs.mjs';
export { installKafka, kafkaVersion, kafkaHome, DEFAULT_KAFKA_VERSION } from './kafka-install.mjs';
export { startEtcd, installEtcd } from './etcd.mjs';
export { startEtcdAndKafka } from './both.mjs';
export { installGrpcurl, GRPCURL_VERSION } from './grpcurl.mjs';
export { installWasmTools, WASM_TOOLS_VERSION } from './wasm-tools.mjs';
export { installWitBindgen, WIT_BINDGEN_GO_VERSION, WIT_BINDGEN_VERSION } from './wit-bindgen.mjs';
export { installNodeLts, productNode, NODE_LTS_VERSION } from './node-lts.mjs';
export { installOtelCollector, startOtelCollector, otlpSpans, otlpMetrics, otlpLogRecords, OTELCOL_VERSION } from './otelcol.mjs';
export { installPrometheus, promtool, startPrometheus, PROMETHEUS_DEB_VERSION } from './prometheus.mjs';
export { installKubernetesValidate, KUBERNETES_VALIDATE_VERSION, KUBERNETES_SCHEMA_VERSION } from './kubernetes-validate.mjs';
export { freePort, holdPort, release, portCandidate, ephemeralLow } from './lib/ports.mjs';
export { cacheDir } from './lib/paths.mjs';
export { InfraError } from './lib/errors.mjs';
export { installChromium, CHROMIUM_FLAGS } from './chromium.mjs';
export { installOciRegistry, installOras, startOciRegistry, ORAS_VERSION } from './oci-registry.mjs';
