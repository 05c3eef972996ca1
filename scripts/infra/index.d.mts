/** Types for scripts/infra/index.mjs, for TypeScript tests that import it dynamically. */
export interface ServerHandle {
  readonly host: '127.0.0.1' | string;
  readonly dataDir: string;
  readonly logFile: string;
  /** ms from spawn to first successful readiness probe, for the last start */
  readonly lastStartMs: number;
  readonly pid: number | undefined;
  /** Start again after stop({ keepData: true }) or kill(): same ports, same data. */
  start(): Promise<void>;
  /** SIGTERM then SIGKILL after graceMs; deletes a temp data dir unless keepData. */
  stop(opts?: { keepData?: boolean; graceMs?: number }): Promise<void>;
  /** Clean stop and start, same ports and data. */
  restart(): Promise<void>;
  /** SIGKILL (a crash); data kept, call start() to recover. */
  kill(): Promise<void>;
  tail(lines?: number): Promise<string>;
}

export interface KafkaHandle extends ServerHandle {
  /** host:port for kafkajs `brokers` */
  readonly bootstrap: string;
  readonly port: number;
  readonly controllerPort: number;
  readonly version: string;
}

export interface EtcdHandle extends ServerHandle {
  /** http://127.0.0.1:port for etcd3 `hosts` */
  readonly endpoint: string;
  readonly clientPort: number;
  readonly peerPort: number;
}

/** A throw-away PKI made with openssl (scripts/infra/certs.mjs). */
export interface TestPki {
  dir: string;
  caFile: string;
  server: { certFile: string; keyFile: string; pemFile: string };
  client: { certFile: string; keyFile: string; pemFile: string };
  clients: Record<string, { certFile: string; keyFile: string; pemFile: string }>;
}
export declare function makeTestPki(dir: string, opts?: { clients?: string[] }): Promise<TestPki>;

/** A broker whose client listener is SASL_SSL (inter-broker traffic on a loopback PLAINTEXT port). */
export interface KafkaSecurity {
  pki: TestPki;
  scram: { mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512'; users: Array<{ name: string; password: string }> };
  requireClientCert?: boolean;
}

/** etcd serving TLS on its client port; with users, authentication is enabled (plus a root user). */
export interface EtcdSecurity {
  pki: TestPki;
  requireClientCert?: boolean;
  users?: Array<{ name: string; password: string }>;
}

/** kafkajs `ssl` and `sasl` settings that reach a broker started with `security`. */
export declare function kafkaClientSecurity(
  security: KafkaSecurity,
  user?: { name: string; password: string },
): Promise<{ ssl: object; sasl: object }>;

export interface StartKafkaOptions {
  security?: KafkaSecurity;
  port?: number;
  controllerPort?: number;
  dataDir?: string;
  heap?: string;
  version?: string;
  brokerConfig?: Record<string, string>;
  detached?: boolean;
  startTimeoutMs?: number;
  logLevel?: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
}

export interface StartEtcdOptions {
  security?: EtcdSecurity;
  clientPort?: number;
  peerPort?: number;
  dataDir?: string;
  detached?: boolean;
  startTimeoutMs?: number;
}

export interface KafkaInstall {
  version: string;
  home: string;
  libsDir: string;
  classpath: string;
}

/** A fresh KRaft cluster id in Kafka's Uuid form, never starting with '-' (the storage tool would take it for an option). */
export declare function clusterId(): string;
export declare function startKafka(opts?: StartKafkaOptions): Promise<KafkaHandle>;
export declare function installKafka(opts?: { version?: string }): Promise<KafkaInstall>;
export declare function kafkaVersion(): string;
export declare function kafkaHome(version?: string): string;
export declare const DEFAULT_KAFKA_VERSION: string;
export declare function startEtcd(opts?: StartEtcdOptions): Promise<EtcdHandle>;
export declare function installEtcd(): Promise<string>;
/** Both servers, or neither: if one fails to start the other is stopped before the error is thrown. */
export declare function startEtcdAndKafka(opts?: {
  etcd?: StartEtcdOptions;
  kafka?: StartKafkaOptions;
}): Promise<{ etcd: EtcdHandle; kafka: KafkaHandle }>;
/** A port free a moment ago on `host` (default 127.0.0.1), below the kernel's ephemeral range. */
export declare function freePort(host?: string): Promise<number>;
/** Bind `port` on `host` and keep it bound (null when taken); `release` closes it. */
export declare function holdPort(port: number, host?: string): Promise<import('node:net').Server | null>;
export declare function release(server: import('node:net').Server): Promise<void>;
/** A random port in [10000, ephemeralLow()). */
export declare function portCandidate(low?: number, random?: () => number): number;
/** The first port of the kernel's ephemeral range. */
export declare function ephemeralLow(): number;
export declare function cacheDir(): string;
/** The pinned current Node LTS the product's processes run on. */
export declare const NODE_LTS_VERSION: string;
/** The Node a product process runs on: the LTS (installed into the cache) unless CAXTON_NODE=machine or this Node is as new; a note when it cannot be had. */
export declare function productNode(note: (line: string) => void): Promise<{ node: string; version: string; lts: boolean }>;
export declare class InfraError extends Error {
  readonly code: string;
  readonly context: Record<string, unknown>;
  readonly hint: string | undefined;
  constructor(code: string, message: string, opts?: { context?: Record<string, unknown>; hint?: string; cause?: unknown });
  describe(): string;
}

/** Path of a grpcurl binary (built once with go install into the cache). */
export function installGrpcurl(): Promise<string>;
export function installWasmTools(): Promise<string>;
export function installWitBindgen(version?: string): Promise<string>;
export const WIT_BINDGEN_VERSION: string;
export const WIT_BINDGEN_GO_VERSION: string;
export const GRPCURL_VERSION: string;

/** One OTLP export request as the collector's file exporter writes it (OTLP/JSON: camelCase, ids in hex). */
export type OtlpExport = Record<string, any>;
export type OtlpSignal = 'traces' | 'metrics' | 'logs';

export interface OtelCollectorHandle extends ServerHandle {
  /** http://127.0.0.1:port: OTLP/HTTP (POST /v1/traces, /v1/metrics, /v1/logs; protobuf or JSON). Use as OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly otlpHttpEndpoint: string;
  /** http://127.0.0.1:port: OTLP/gRPC, plaintext (the form the OTLP gRPC exporters take). */
  readonly otlpGrpcEndpoint: string;
  readonly httpPort: number;
  readonly grpcPort: number;
  readonly configFile: string;
  /** JSON-lines files, one export request per line (the file exporter's json format). */
  readonly tracesFile: string;
  readonly metricsFile: string;
  readonly logsFile: string;
  readTraces(): Promise<OtlpExport[]>;
  readMetrics(): Promise<OtlpExport[]>;
  readLogs(): Promise<OtlpExport[]>;
  /** Poll a signal's file (every 100 ms) until predicate holds; InfraError infra.otelcol.wait-timeout after timeoutMs (default 10000). */
  waitFor(signal: OtlpSignal, predicate: (exports: OtlpExport[]) => boolean, opts?: { timeoutMs?: number }): Promise<OtlpExport[]>;
}

export interface StartOtelCollectorOptions {
  httpPort?: number;
  grpcPort?: number;
  dataDir?: string;
  /** Add a batch processor with this timeout to every pipeline (default: none, one line per export request). */
  batchTimeoutMs?: number;
  detached?: boolean;
  startTimeoutMs?: number;
}

/** Path of the collector binary (built once with ocb from the Go module proxy into the cache). */
export declare function installOtelCollector(): Promise<string>;
export declare function startOtelCollector(opts?: StartOtelCollectorOptions): Promise<OtelCollectorHandle>;
export declare function otlpSpans(exports: OtlpExport[]): Array<{ resource: OtlpExport; scope: OtlpExport; span: OtlpExport }>;
export declare function otlpMetrics(exports: OtlpExport[]): Array<{ resource: OtlpExport; scope: OtlpExport; metric: OtlpExport }>;
export declare function otlpLogRecords(exports: OtlpExport[]): Array<{ resource: OtlpExport; scope: OtlpExport; record: OtlpExport }>;
export declare const OTELCOL_VERSION: string;

export interface PrometheusInstall {
  /** The Debian package version unpacked, e.g. 2.42.0+ds-5+deb12u1 */
  version: string;
  root: string;
  bin: string;
  promtool: string;
  webAssets: string;
  consoles: string;
  consoleLibraries: string;
}

/** The `data` of a Prometheus HTTP API query answer. */
export interface PromQueryData {
  resultType: 'vector' | 'matrix' | 'scalar' | 'string';
  result: any;
}
export interface PromVectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface PrometheusHandle extends ServerHandle {
  /** http://127.0.0.1:port */
  readonly url: string;
  readonly port: number;
  readonly configFile: string;
  readonly version: string;
  /** Instant query; InfraError infra.prometheus.query-failed if Prometheus refuses it (bad PromQL). */
  query(promql: string): Promise<PromQueryData>;
  /** Poll an instant query every 250 ms until predicate holds (default timeout 15000 ms). */
  waitFor(promql: string, predicate: (data: PromQueryData) => boolean, opts?: { timeoutMs?: number }): Promise<PromQueryData>;
  /** /api/v1/targets data: activeTargets with health and lastError. */
  targets(): Promise<any>;
}

export interface StartPrometheusOptions {
  /** host:port of each target, scraped at metricsPath */
  scrapeTargets: string[];
  /** default 1 */
  scrapeIntervalS?: number;
  /** default /metrics */
  metricsPath?: string;
  /** the job label, default caxton */
  jobName?: string;
  port?: number;
  dataDir?: string;
  detached?: boolean;
  startTimeoutMs?: number;
}

/** Debian's prometheus package unpacked into the cache with apt-get download + dpkg-deb -x (no service, no dpkg state). */
export declare function installPrometheus(): Promise<PrometheusInstall>;
export declare function startPrometheus(opts: StartPrometheusOptions): Promise<PrometheusHandle>;
/** Run promtool from the same Debian package (unpacked first if needed); `output` is stdout and stderr together. */
export declare function promtool(args: string[], opts?: { cwd?: string }): Promise<{ code: number | null; output: string }>;
export declare const PROMETHEUS_DEB_VERSION: string;

/** Path of the kubernetes-validate command (PyPI, pinned, in a venv in the cache). */
export declare function installKubernetesValidate(): Promise<string>;
export declare const KUBERNETES_VALIDATE_VERSION: string;
/** The Kubernetes release deploy/k8s is validated against (its schemas ship with the pinned tool). */
export declare const KUBERNETES_SCHEMA_VERSION: string;

export interface ChromiumInstall {
  /** Debian version of the unpacked package ('system' or 'CAXTON_CHROMIUM' when not from the cache) */
  readonly version: string;
  readonly root: string;
  readonly executablePath: string;
  /** Environment the browser needs (LD_LIBRARY_PATH for the unpacked libraries). */
  readonly env: Record<string, string>;
}
/** Debian's chromium unpacked into the cache (once) with the libraries this machine lacks. */
export function installChromium(): Promise<ChromiumInstall>;
export const CHROMIUM_FLAGS: readonly string[];

/** A CNCF Distribution registry on 127.0.0.1 with a temporary root (scripts/infra/oci-registry.mjs). */
export interface OciRegistryHandle extends ServerHandle {
  readonly port: number;
  /** `127.0.0.1:<port>`: the registry part of a reference. */
  readonly address: string;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** The storage root (blobs under docker/registry/v2/blobs/sha256/<2>/<hex>/data). */
  readonly root: string;
}
export declare function installOciRegistry(): Promise<string>;
export declare function installOras(): Promise<string>;
export declare const ORAS_VERSION: string;
/** `users`: htpasswd users (name → password); absent: anonymous. */
export declare function startOciRegistry(opts?: { users?: Record<string, string>; startTimeoutMs?: number }): Promise<OciRegistryHandle>;
