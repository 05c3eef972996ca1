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

export interface StartKafkaOptions {
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
  clientPort?: number;
  peerPort?: number;
  dataDir?: string;
  detached?: boolean;
  startTimeoutMs?: number;
}

export interface KafkaInstall { version: string; home: string; libsDir: string; classpath: string }

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
export declare function startEtcdAndKafka(opts?: { etcd?: StartEtcdOptions; kafka?: StartKafkaOptions }): Promise<{ etcd: EtcdHandle; kafka: KafkaHandle }>;
export declare function freePort(): Promise<number>;
export declare function cacheDir(): string;
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
export const GRPCURL_VERSION: string;
