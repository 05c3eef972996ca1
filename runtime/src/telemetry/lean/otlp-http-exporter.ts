/**
 * Posts encoded span batches (otlp-encoder.ts) to the OTLP/HTTP traces URL, as the SDK's
 * protobuf exporter does over node:http/https: `Content-Type: application/x-protobuf`, the
 * configured headers, a keep-alive agent, gzip when OTEL_EXPORTER_OTLP(_TRACES)_COMPRESSION says
 * so, and the SDK's retry (@opentelemetry/otlp-exporter-base's RetryingTransport): 429, 502, 503,
 * 504, a timeout and connection errors (refused, reset…) are retried at most 5 times, after the
 * server's Retry-After or a backoff from 1 s growing 1.5× to 5 s with ±20 % jitter, all within
 * one deadline per export (OTEL_EXPORTER_OTLP[_TRACES]_TIMEOUT, 10 s by default); anything else
 * fails at once. The deadline is a hard one: a timer destroys the request in flight when it
 * passes (a server that answers 200 and then trickles its body cannot hold an export), and a
 * response body past 4 MiB fails the attempt. A failed batch is reported failed: the bound counts
 * it dropped (export-bound.ts). An https:// collector is reached with the CA and client
 * certificate of OTEL_EXPORTER_OTLP[_TRACES]_CERTIFICATE, _CLIENT_CERTIFICATE and _CLIENT_KEY,
 * read once at start (loadTlsFiles).
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { promisify } from 'node:util';
import path from 'node:path';
import { gzip as gzipCb } from 'node:zlib';
import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import { ExportResultCode, suppressTracing, type ExportResult } from '@opentelemetry/core';
import type { OtlpTlsFiles } from '../config.js';
import { TelemetryError } from '../errors.js';
import type { OtlpTraceEncoder } from './otlp-encoder.js';
import type { LeanSpan } from './span.js';

const gzip = promisify(gzipCb);

const MAX_RETRIES = 5;
const INITIAL_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 5000;
const BACKOFF_MULTIPLIER = 1.5;
const JITTER = 0.2;
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
const RETRYABLE_ERRORS = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ENETUNREACH',
  'EHOSTUNREACH',
]);
/** A response body is read only to be dropped; a larger one fails the attempt (the SDK's bound too). */
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

export interface OtlpHttpOptions {
  url: string;
  headers: Readonly<Record<string, string>>;
  /** One export's deadline, retries included. */
  timeoutMs: number;
  compression: 'gzip' | 'none';
  /** For an https:// URL: the CA to trust and the client certificate (loadTlsFiles). */
  tls?: TlsMaterial;
}

export interface TlsMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/** Reads the files the TLS variables name (relative to the working directory), once; an unreadable one is refused. */
export function loadTlsFiles(files: OtlpTlsFiles): TlsMaterial {
  const out: TlsMaterial = {};
  for (const which of ['ca', 'cert', 'key'] as const) {
    const file = files[which];
    if (file === undefined) continue;
    try {
      out[which] = readFileSync(path.resolve(file.path));
    } catch (err) {
      throw new TelemetryError('telemetry.invalid-config', `${file.source}=${file.path} cannot be read: ${(err as Error).message}`, {
        context: { source: file.source, value: file.path },
        hint: 'name a PEM file the node can read (a path relative to its working directory, or absolute)',
        cause: err,
      });
    }
  }
  return out;
}

type Attempt =
  | { status: 'success' }
  | { status: 'retryable'; retryInMs: number | undefined; error: Error }
  | { status: 'failure'; error: Error };

/** Retry-After as milliseconds: seconds or an HTTP date (the SDK's parseRetryAfterToMills). */
export function retryAfterMs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number.parseInt(value, 10);
  if (Number.isInteger(seconds)) return seconds > 0 ? seconds * 1000 : -1;
  const delay = new Date(value).getTime() - Date.now();
  return Math.max(delay, 0);
}

export class OtlpHttpSpanExporter {
  private readonly url: URL;
  private readonly agent: http.Agent;
  private readonly request: typeof http.request;
  private closed = false;
  /** Requests in flight, destroyed at shutdown. */
  private readonly pending = new Set<http.ClientRequest>();

  constructor(
    private readonly encoder: OtlpTraceEncoder,
    private readonly opts: OtlpHttpOptions,
  ) {
    this.url = new URL(opts.url);
    const secure = this.url.protocol === 'https:';
    this.agent = secure ? new https.Agent({ keepAlive: true, ...opts.tls }) : new http.Agent({ keepAlive: true });
    this.request = secure ? https.request : http.request;
  }

  export(spans: LeanSpan[], done: (result: ExportResult) => void): void {
    let body: Buffer;
    try {
      body = this.encoder.encode(spans);
    } catch (err) {
      done({ code: ExportResultCode.FAILED, error: err as Error });
      return;
    }
    // The export's own requests are not traced (an instrumented http module would record them, under the ending span).
    context.with(suppressTracing(ROOT_CONTEXT), () =>
      this.send(body).then(
        () => done({ code: ExportResultCode.SUCCESS }),
        (error: Error) => done({ code: ExportResultCode.FAILED, error }),
      ),
    );
  }

  /** Ends the requests in flight (their exports fail) and closes the keep-alive sockets. */
  async shutdown(): Promise<void> {
    this.closed = true;
    for (const req of this.pending) req.destroy();
    this.agent.destroy();
  }

  private async send(raw: Buffer): Promise<void> {
    const body = this.opts.compression === 'gzip' ? await gzip(raw) : raw;
    const deadline = Date.now() + this.opts.timeoutMs;
    let backoff = INITIAL_BACKOFF_MS;
    let result = await this.attempt(body, this.opts.timeoutMs);
    for (let retries = 0; result.status === 'retryable' && retries < MAX_RETRIES && !this.closed; retries++) {
      const jittered = Math.max(Math.min(backoff * (1 + (Math.random() * 2 * JITTER - JITTER)), MAX_BACKOFF_MS), 0);
      backoff *= BACKOFF_MULTIPLIER;
      const wait = result.retryInMs ?? jittered;
      const remaining = deadline - Date.now();
      if (wait > remaining) break;
      await new Promise((r) => setTimeout(r, Math.max(0, wait)).unref());
      result = await this.attempt(body, Math.max(1, deadline - Date.now()));
    }
    if (result.status !== 'success') throw result.error;
  }

  private attempt(body: Buffer, timeoutMs: number): Promise<Attempt> {
    if (this.closed) return Promise.resolve({ status: 'failure', error: new Error('OTLP traces export: the exporter is shut down') });
    return new Promise((resolve) => {
      let settled = false;
      const settle = (a: Attempt): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.pending.delete(req);
        resolve(a);
      };
      const headers: http.OutgoingHttpHeaders = {
        ...this.opts.headers,
        'Content-Type': 'application/x-protobuf',
        'Content-Length': body.length,
        'User-Agent': 'caxton-otlp-trace-exporter',
      };
      if (this.opts.compression === 'gzip') headers['Content-Encoding'] = 'gzip';
      const req = this.request(this.url, { method: 'POST', headers, agent: this.agent }, (res) => {
        const status = res.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= MAX_RESPONSE_BYTES) {
            if (chunks.length < 64) chunks.push(chunk);
            return;
          }
          res.destroy();
          settle({
            status: 'failure',
            error: new Error(`OTLP traces export: HTTP ${status} response body larger than ${MAX_RESPONSE_BYTES} bytes`),
          });
        });
        // A body cut off is no answer, whatever the status said (a 200 with half a body is not a success).
        res.on('error', (error) => settle({ status: 'retryable', retryInMs: undefined, error }));
        res.on('end', () => {
          const text = status >= 200 && status <= 299 ? '' : Buffer.concat(chunks).toString('utf8').slice(0, 500);
          settle(
            classify(
              status,
              res.headers['retry-after'],
              new Error(`OTLP traces export: HTTP ${status} ${res.statusMessage ?? ''} ${text}`.trim()),
            ),
          );
        });
      });
      // The whole attempt's deadline (not an idle timeout): headers, body and all.
      const timer = setTimeout(() => {
        settle({
          status: 'retryable',
          retryInMs: undefined,
          error: new Error(`OTLP traces export: no complete answer within ${timeoutMs} ms`),
        });
        req.destroy();
      }, timeoutMs);
      timer.unref();
      this.pending.add(req);
      // A connection ended without 'end' or 'error' (the response's 'end' runs before this check).
      req.on('close', () =>
        setImmediate(() =>
          settle({ status: 'retryable', retryInMs: undefined, error: new Error('OTLP traces export: connection closed') }),
        ),
      );
      req.on('error', (error: NodeJS.ErrnoException) =>
        settle(
          error.code !== undefined && RETRYABLE_ERRORS.has(error.code)
            ? { status: 'retryable', retryInMs: undefined, error }
            : { status: 'failure', error },
        ),
      );
      req.end(body);
    });
  }
}

function classify(status: number, retryAfter: string | undefined, error: Error): Attempt {
  if (status >= 200 && status <= 299) return { status: 'success' };
  if (RETRYABLE_STATUS.has(status)) return { status: 'retryable', retryInMs: retryAfterMs(retryAfter), error };
  return { status: 'failure', error };
}
