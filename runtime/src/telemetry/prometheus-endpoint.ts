/**
 * The Prometheus scrape endpoint (`--metrics-addr`). The exporter's own server cannot report the
 * port it got (port 0, for tests and for "any free port") nor fail start-up cleanly on a port in
 * use (it logs through `diag`), so the node runs a small node:http server of its own and lets the
 * exporter answer `GET /metrics`. Metrics carry no secrets, but they do reveal agent names, message
 * rates and the node's topology: docs/operations.md says so, and the default is not to listen.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PrometheusSerializer, type PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { diag } from '@opentelemetry/api';
import { TelemetryError } from './errors.js';
import { withConstantLabels } from './constant-labels.js';

export interface PrometheusEndpoint {
  /** host:port it listens on (the real port when 0 was asked for). */
  address: string;
  close(): Promise<void>;
}

/**
 * Serve `exporter` (a reader with `preventServerStart`) at http://host:port/metrics, adding
 * `constantLabels` (node, cluster) to every series.
 */
export async function servePrometheus(
  exporter: PrometheusExporter,
  host: string,
  port: number,
  constantLabels: Readonly<Record<string, string>> = {},
): Promise<PrometheusEndpoint> {
  // The exporter's own serializer settings: target_info and otel_scope_* labels kept (documented).
  const serializer = new PrometheusSerializer();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'GET' && url.pathname === '/metrics') {
      exporter.collect().then(
        ({ resourceMetrics, errors }) => {
          if (errors.length > 0) diag.error('caxton: Prometheus collection errors', ...errors);
          res.statusCode = 200;
          res.setHeader('content-type', 'text/plain; version=0.0.4; charset=utf-8');
          res.end(serializer.serialize(withConstantLabels(resourceMetrics, constantLabels)));
        },
        (err: unknown) => {
          res.statusCode = 500;
          res.end(`# failed to collect metrics: ${String(err)}\n`);
        },
      );
      return;
    }
    res.statusCode = 404;
    res.setHeader('content-type', 'text/plain');
    res.end('caxton serves Prometheus metrics at /metrics\n');
  });
  // A scrape is a short request: do not let an idle scraper's keep-alive hold stop() up.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        new TelemetryError(
          'telemetry.listen-failed',
          `the Prometheus endpoint cannot listen on ${host}:${port}: ${err.code ?? err.message}`,
          {
            context: { host, port },
            cause: err,
            hint:
              err.code === 'EADDRINUSE'
                ? 'another process uses that port: pick another --metrics-addr (port 0 = any free port)'
                : 'check --metrics-addr names an interface of this machine',
          },
        ),
      );
    });
    server.listen(port, host, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  const address = bound.family === 'IPv6' ? `[${bound.address}]:${bound.port}` : `${bound.address}:${bound.port}`;
  return {
    address,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
