/**
 * The telemetry configuration of a node, parsed once at the boundary from `caxton serve` flags and
 * the standard OpenTelemetry environment variables (the names and semantics of the OpenTelemetry
 * SDK specification, so a deployment configured for any other OTel service works unchanged).
 * Flags override variables. Pure: the environment is passed in, nothing is read or started here;
 * every bad value is a TelemetryError naming the flag or variable and what it expects.
 */
import { TelemetryError } from './errors.js';
import { DEFAULT_MAX_AGENT_LABELS } from './cardinality.js';

/** The only OTLP encoding this build ships (the http/protobuf exporters; no gRPC or JSON ones). */
export const SUPPORTED_OTLP_PROTOCOLS = ['http/protobuf'] as const;
export type OtlpProtocol = (typeof SUPPORTED_OTLP_PROTOCOLS)[number];
/** Protocols the specification allows that we refuse with a hint rather than a parse error. */
const KNOWN_OTLP_PROTOCOLS = ['grpc', 'http/protobuf', 'http/json'];

export type LogFormat = 'text' | 'json';

/** Where one signal is exported: the full URL (…/v1/traces), headers (auth) and encoding. */
export interface OtlpTarget {
  url: string;
  headers: Readonly<Record<string, string>>;
  protocol: OtlpProtocol;
}

/** Files named by OTEL_EXPORTER_OTLP[_TRACES]_CERTIFICATE, _CLIENT_CERTIFICATE, _CLIENT_KEY (read at start). */
export interface OtlpTlsFiles {
  /** PEM CA certificates to trust for an https:// collector (instead of the system's). */
  ca?: { path: string; source: string };
  /** PEM client certificate chain and its private key, for a collector asking for mutual TLS. */
  cert?: { path: string; source: string };
  key?: { path: string; source: string };
}

/**
 * The traces target, which the node's own exporter sends to (decision 2186): besides the
 * endpoint, the export variables the SDK's exporters read on their own for metrics and logs.
 */
export interface TracesTarget extends OtlpTarget {
  /** One export's deadline, retries included (OTEL_EXPORTER_OTLP[_TRACES]_TIMEOUT, default 10000 ms). */
  timeoutMs: number;
  /** OTEL_EXPORTER_OTLP[_TRACES]_COMPRESSION. */
  compression: 'gzip' | 'none';
  tls: OtlpTlsFiles;
}

/** The specification's default export timeout. */
export const DEFAULT_OTLP_TIMEOUT_MS = 10_000;

/** A root sampler, optionally wrapped in parent-based (a child follows its parent's decision). */
export interface SamplerConfig {
  root: 'always_on' | 'always_off' | 'ratio';
  /** For `ratio`: the share of new traces kept, 0…1. */
  ratio: number;
  parentBased: boolean;
}

export interface TelemetryConfig {
  /** False when OTEL_SDK_DISABLED=true and no flag asks for export: no SDK is registered at all. */
  enabled: boolean;
  serviceName: string;
  /** From OTEL_RESOURCE_ATTRIBUTES; the node's own (service.instance.id, caxton.*) are added at start. */
  resourceAttributes: Readonly<Record<string, string>>;
  /** Undefined: spans are not exported (and no tracer provider is registered). */
  traces: TracesTarget | undefined;
  /** Undefined: no OTLP metric export (the Prometheus endpoint may still serve them). */
  metrics: OtlpTarget | undefined;
  /** Undefined: agent log records are not exported over OTLP (they stay in the node's log store). */
  logs: OtlpTarget | undefined;
  metricExportIntervalMs: number;
  sampler: SamplerConfig;
  /** --metrics-addr: where the Prometheus endpoint listens (port 0: any free port). */
  prometheus: { host: string; port: number } | undefined;
  /** Agents with their own metric series; the rest are `other` (--metrics-max-agents). */
  maxAgentLabels: number;
  /** Ended spans waiting for export before new ones are dropped (and counted). */
  spanQueueSize: number;
  /** Log records waiting for export before new ones are dropped (and counted). */
  logQueueSize: number;
  logFormat: LogFormat;
}

/** `caxton serve` flags, as yargs hands them over (undefined = not given). */
export interface TelemetryFlags {
  otlpEndpoint?: string | undefined;
  otlpProtocol?: string | undefined;
  traceSample?: number | undefined;
  metricsAddr?: string | undefined;
  metricsMaxAgents?: number | undefined;
  logFormat?: string | undefined;
}

export type Env = Readonly<Record<string, string | undefined>>;

export const DEFAULT_SERVICE_NAME = 'caxton';
/** The specification's default (60 s); tests and short runs set OTEL_METRIC_EXPORT_INTERVAL. */
export const DEFAULT_METRIC_EXPORT_INTERVAL_MS = 60_000;
/** The BatchSpanProcessor's default queue (2048 spans, ~1 MB): the bound between the bus and export. */
export const DEFAULT_SPAN_QUEUE_SIZE = 2048;
/** The BatchLogRecordProcessor's default queue, bounded and counted the same way (decision 1850). */
export const DEFAULT_LOG_QUEUE_SIZE = 2048;

const ENV_HINT = 'see docs/operations.md, section Telemetry';

function invalid(source: string, value: string, expected: string): TelemetryError {
  return new TelemetryError('telemetry.invalid-config', `${source}=${value} is not ${expected}`, {
    context: { source, value },
    hint: ENV_HINT,
  });
}

function nonEmpty(v: string | undefined): string | undefined {
  const t = v?.trim();
  return t === undefined || t === '' ? undefined : t;
}

/** An http(s) URL without trailing slash. */
function parseUrl(source: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(source, value, 'a URL such as http://otel-collector:4318');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid(source, value, 'an http:// or https:// URL');
  return value.replace(/\/+$/, '');
}

/**
 * `k1=v1,k2=v2` with percent-encoded values (the W3C Baggage form the spec uses for
 * OTEL_EXPORTER_OTLP_HEADERS and OTEL_RESOURCE_ATTRIBUTES).
 */
export function parseKeyValueList(source: string, value: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (value === undefined) return out;
  for (const item of value.split(',')) {
    if (item.trim() === '') continue;
    const eq = item.indexOf('=');
    if (eq <= 0) throw invalid(source, value, 'a list of key=value pairs separated by commas');
    const key = item.slice(0, eq).trim();
    let val: string;
    try {
      val = decodeURIComponent(item.slice(eq + 1).trim());
    } catch {
      throw invalid(source, value, 'a list of key=value pairs with percent-encoded values');
    }
    out[key] = val;
  }
  return out;
}

function parseProtocol(source: string, value: string): OtlpProtocol {
  if ((SUPPORTED_OTLP_PROTOCOLS as readonly string[]).includes(value)) return value as OtlpProtocol;
  if (KNOWN_OTLP_PROTOCOLS.includes(value)) {
    throw new TelemetryError(
      'telemetry.unsupported',
      `${source}=${value}: this build exports OTLP over ${SUPPORTED_OTLP_PROTOCOLS.join(', ')} only`,
      {
        context: { source, value, supported: SUPPORTED_OTLP_PROTOCOLS.join(',') },
        hint: 'use http/protobuf (the OpenTelemetry Collector receives it on port 4318), or leave the protocol unset',
      },
    );
  }
  throw invalid(source, value, `an OTLP protocol (${KNOWN_OTLP_PROTOCOLS.join(', ')})`);
}

function parseRatio(source: string, value: string | number): number {
  const n = typeof value === 'number' ? value : Number(value.trim() === '' ? Number.NaN : value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw invalid(source, String(value), 'a sampling ratio from 0 to 1');
  return n;
}

function parseSampler(flags: TelemetryFlags, env: Env): SamplerConfig {
  if (flags.traceSample !== undefined) return { root: 'ratio', ratio: parseRatio('--trace-sample', flags.traceSample), parentBased: true };
  const name = nonEmpty(env['OTEL_TRACES_SAMPLER']) ?? 'parentbased_always_on';
  const arg = nonEmpty(env['OTEL_TRACES_SAMPLER_ARG']);
  const ratio = arg === undefined ? 1 : parseRatio('OTEL_TRACES_SAMPLER_ARG', arg);
  switch (name) {
    case 'always_on':
      return { root: 'always_on', ratio: 1, parentBased: false };
    case 'always_off':
      return { root: 'always_off', ratio: 0, parentBased: false };
    case 'traceidratio':
      return { root: 'ratio', ratio, parentBased: false };
    case 'parentbased_always_on':
      return { root: 'always_on', ratio: 1, parentBased: true };
    case 'parentbased_always_off':
      return { root: 'always_off', ratio: 0, parentBased: true };
    case 'parentbased_traceidratio':
      return { root: 'ratio', ratio, parentBased: true };
    default:
      throw invalid(
        'OTEL_TRACES_SAMPLER',
        name,
        'one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio',
      );
  }
}

/** `host:port` or `[v6]:port`; port 0 means any free port. */
export function parseListenAddress(source: string, value: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port > 65535) throw invalid(source, value, 'host:port (e.g. 127.0.0.1:9464, 0.0.0.0:9464, [::1]:9464)');
  return { host: (m[1] ?? m[2])!, port };
}

function parseBool(source: string, value: string | undefined): boolean {
  if (value === undefined) return false;
  const v = value.trim().toLowerCase();
  if (v === 'true') return true;
  if (v === 'false' || v === '') return false;
  throw invalid(source, value, 'true or false');
}

function parseInterval(value: string | undefined): number {
  if (value === undefined) return DEFAULT_METRIC_EXPORT_INTERVAL_MS;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 100 || n > 3_600_000)
    throw invalid('OTEL_METRIC_EXPORT_INTERVAL', value, 'a whole number of milliseconds from 100 to 3600000');
  return n;
}

/** One signal's target: the signal's own variable (used as is), else the base endpoint + /v1/<signal>. */
function otlpTarget(signal: 'traces' | 'metrics' | 'logs', flags: TelemetryFlags, env: Env, enabledByEnv: boolean): OtlpTarget | undefined {
  const upper = signal.toUpperCase();
  let url: string | undefined;
  if (flags.otlpEndpoint !== undefined) {
    url = `${parseUrl('--otlp-endpoint', flags.otlpEndpoint)}/v1/${signal}`;
  } else if (enabledByEnv) {
    const own = nonEmpty(env[`OTEL_EXPORTER_OTLP_${upper}_ENDPOINT`]);
    const base = nonEmpty(env['OTEL_EXPORTER_OTLP_ENDPOINT']);
    if (own !== undefined) url = parseUrl(`OTEL_EXPORTER_OTLP_${upper}_ENDPOINT`, own);
    else if (base !== undefined) url = `${parseUrl('OTEL_EXPORTER_OTLP_ENDPOINT', base)}/v1/${signal}`;
  }
  const protocolFrom =
    flags.otlpProtocol !== undefined
      ? (['--otlp-protocol', flags.otlpProtocol] as const)
      : nonEmpty(env[`OTEL_EXPORTER_OTLP_${upper}_PROTOCOL`]) !== undefined
        ? ([`OTEL_EXPORTER_OTLP_${upper}_PROTOCOL`, nonEmpty(env[`OTEL_EXPORTER_OTLP_${upper}_PROTOCOL`])!] as const)
        : nonEmpty(env['OTEL_EXPORTER_OTLP_PROTOCOL']) !== undefined
          ? (['OTEL_EXPORTER_OTLP_PROTOCOL', nonEmpty(env['OTEL_EXPORTER_OTLP_PROTOCOL'])!] as const)
          : undefined;
  // A protocol we cannot speak is refused even without an endpoint: it was asked for explicitly.
  const protocol = protocolFrom === undefined ? 'http/protobuf' : parseProtocol(protocolFrom[0], protocolFrom[1]);
  if (url === undefined) return undefined;
  const headers = {
    ...parseKeyValueList('OTEL_EXPORTER_OTLP_HEADERS', env['OTEL_EXPORTER_OTLP_HEADERS']),
    ...parseKeyValueList(`OTEL_EXPORTER_OTLP_${upper}_HEADERS`, env[`OTEL_EXPORTER_OTLP_${upper}_HEADERS`]),
  };
  return { url, headers, protocol };
}

/** The signal's own variable when set and not empty, else the general one: [source, value]. */
function perSignal(env: Env, upper: string, suffix: string): [string, string] | undefined {
  const own = `OTEL_EXPORTER_OTLP_${upper}_${suffix}`;
  const general = `OTEL_EXPORTER_OTLP_${suffix}`;
  const ownValue = nonEmpty(env[own]);
  if (ownValue !== undefined) return [own, ownValue];
  const generalValue = nonEmpty(env[general]);
  return generalValue === undefined ? undefined : [general, generalValue];
}

/**
 * The traces target's export variables, as the SDK's exporters read theirs (the signal's own wins
 * over the general one; an empty one counts as unset), except that a bad value is refused at start
 * instead of warned about and ignored.
 */
function tracesTarget(target: OtlpTarget, env: Env): TracesTarget {
  const timeout = perSignal(env, 'TRACES', 'TIMEOUT');
  let timeoutMs = DEFAULT_OTLP_TIMEOUT_MS;
  if (timeout !== undefined) {
    const n = Number(timeout[1]);
    if (!Number.isFinite(n) || n <= 0 || n > 3_600_000)
      throw invalid(timeout[0], timeout[1], 'a number of milliseconds above 0 (at most 3600000)');
    timeoutMs = n;
  }
  const compressionFrom = perSignal(env, 'TRACES', 'COMPRESSION');
  const compression = compressionFrom?.[1] ?? 'none';
  if (compression !== 'gzip' && compression !== 'none') throw invalid(compressionFrom![0], compression, 'gzip or none');
  const file = (suffix: string): { path: string; source: string } | undefined => {
    const from = perSignal(env, 'TRACES', suffix);
    return from === undefined ? undefined : { source: from[0], path: from[1] };
  };
  const tls: OtlpTlsFiles = {};
  const ca = file('CERTIFICATE');
  const cert = file('CLIENT_CERTIFICATE');
  const key = file('CLIENT_KEY');
  if (ca) tls.ca = ca;
  if (cert) tls.cert = cert;
  if (key) tls.key = key;
  if ((cert === undefined) !== (key === undefined)) {
    const given = (cert ?? key)!;
    throw new TelemetryError('telemetry.invalid-config', `${given.source} is set without its pair: a client certificate needs its key`, {
      context: { source: given.source, value: given.path },
      hint: 'set both OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE and OTEL_EXPORTER_OTLP_CLIENT_KEY (or their _TRACES_ forms), or neither',
    });
  }
  return { ...target, timeoutMs, compression, tls };
}

/** Flags + environment → the typed configuration, or a TelemetryError. */
export function parseTelemetryConfig(flags: TelemetryFlags, env: Env): TelemetryConfig {
  const sdkDisabled = parseBool('OTEL_SDK_DISABLED', env['OTEL_SDK_DISABLED']);
  const logFormat = flags.logFormat ?? 'text';
  if (logFormat !== 'text' && logFormat !== 'json') throw invalid('--log-format', logFormat, 'text or json');
  const maxAgentLabels = flags.metricsMaxAgents ?? DEFAULT_MAX_AGENT_LABELS;
  if (!Number.isInteger(maxAgentLabels) || maxAgentLabels < 0 || maxAgentLabels > 100_000) {
    throw invalid('--metrics-max-agents', String(maxAgentLabels), 'a whole number from 0 to 100000');
  }
  const resourceAttributes = parseKeyValueList('OTEL_RESOURCE_ATTRIBUTES', env['OTEL_RESOURCE_ATTRIBUTES']);
  // The spec: OTEL_SERVICE_NAME wins over a service.name in OTEL_RESOURCE_ATTRIBUTES.
  const serviceName = nonEmpty(env['OTEL_SERVICE_NAME']) ?? resourceAttributes['service.name'] ?? DEFAULT_SERVICE_NAME;
  const tracesOtlp = otlpTarget('traces', flags, env, !sdkDisabled);
  const traces = tracesOtlp === undefined ? undefined : tracesTarget(tracesOtlp, env);
  const metrics = otlpTarget('metrics', flags, env, !sdkDisabled);
  // One switch: the endpoint that receives traces and metrics receives the logs too (decision 1850).
  const logs = otlpTarget('logs', flags, env, !sdkDisabled);
  const prometheus = flags.metricsAddr === undefined ? undefined : parseListenAddress('--metrics-addr', flags.metricsAddr);
  return {
    // Flags are explicit: they export even when the environment disables the SDK.
    enabled: traces !== undefined || metrics !== undefined || logs !== undefined || prometheus !== undefined,
    serviceName,
    resourceAttributes,
    traces,
    metrics,
    logs,
    metricExportIntervalMs: parseInterval(nonEmpty(env['OTEL_METRIC_EXPORT_INTERVAL'])),
    sampler: parseSampler(flags, sdkDisabled ? {} : env),
    prometheus,
    maxAgentLabels,
    spanQueueSize: DEFAULT_SPAN_QUEUE_SIZE,
    logQueueSize: DEFAULT_LOG_QUEUE_SIZE,
    logFormat,
  };
}

function tracesExtras(t: TracesTarget): string {
  let s = '';
  if (t.compression === 'gzip') s += ', gzip';
  if (t.timeoutMs !== DEFAULT_OTLP_TIMEOUT_MS) s += `, timeout ${t.timeoutMs} ms`;
  if (t.tls.ca) s += `, CA from ${t.tls.ca.path}`;
  if (t.tls.cert) s += `, client certificate ${t.tls.cert.path}`;
  return s;
}

/** One line per destination, for `caxton serve` to print where telemetry goes. */
export function describeTelemetry(config: TelemetryConfig, prometheusAddress?: string): string[] {
  if (!config.enabled) return ['telemetry: off (no --otlp-endpoint, OTEL_EXPORTER_OTLP_ENDPOINT or --metrics-addr)'];
  const lines: string[] = [];
  const sampler = config.sampler.root === 'ratio' ? `ratio ${config.sampler.ratio}` : config.sampler.root;
  if (config.traces)
    lines.push(
      `telemetry: traces → ${config.traces.url} (OTLP ${config.traces.protocol}${tracesExtras(config.traces)}, sampler ${config.sampler.parentBased ? 'parent-based ' : ''}${sampler})`,
    );
  else lines.push('telemetry: traces not exported');
  if (config.metrics)
    lines.push(`telemetry: metrics → ${config.metrics.url} (OTLP ${config.metrics.protocol}, every ${config.metricExportIntervalMs} ms)`);
  if (config.prometheus)
    lines.push(
      `telemetry: metrics → Prometheus at http://${prometheusAddress ?? `${config.prometheus.host}:${config.prometheus.port}`}/metrics`,
    );
  if (!config.metrics && !config.prometheus) lines.push('telemetry: metrics not exported');
  if (config.logs)
    lines.push(
      `telemetry: agent logs → ${config.logs.url} (OTLP ${config.logs.protocol}, with the trace ids of their handling), and the node's own lines`,
    );
  return lines;
}
