/**
 * The node's own HTTP listeners — the console, MCP, A2A and the FIPA ACC (decision 2040) — share
 * one rule and one way to start: plain HTTP off loopback carries bearer tokens or a peer's secret
 * in clear, so it is refused unless the listener has a certificate or the operator accepted the
 * risk by name (`--…-insecure`); with a certificate the listener serves HTTPS and its URLs say so.
 * The check is pure and runs before the node starts anything; the files are read when the
 * listener starts, and a file that cannot be read is a typed refusal naming the flags.
 */
import { readFile } from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { isLoopbackHost } from '@caxton/core';

/** A PEM certificate chain and its private key, as files. */
export interface ListenerTls {
  certFile: string;
  keyFile: string;
}

/** How a listener is protected: a certificate, or the operator's explicit acceptance of plain HTTP off loopback. */
export interface ListenerSecurity {
  tls?: ListenerTls;
  /** Serve plain HTTP on a non-loopback address anyway (credentials then cross the network in clear). */
  insecure?: boolean;
}

/** Would this listener serve plain HTTP beyond loopback without the operator having said so? */
export function plaintextRefused(host: string, security: ListenerSecurity): boolean {
  return security.tls === undefined && security.insecure !== true && !isLoopbackHost(host);
}

/** The `caxton serve` flags that protect the MCP, A2A and MTP listeners together (the console has its own). */
export const LISTENER_CERT_FLAGS = '--listener-cert/--listener-key';
export const LISTENER_INSECURE_FLAG = '--listener-insecure';

/** The hint every listener's refusal gives: the three ways out. */
export function plaintextHint(certFlags: string, insecureFlag: string): string {
  return `give it a certificate (${certFlags}), bind it to 127.0.0.1, or accept the risk with ${insecureFlag}`;
}

/** The listener's own typed configuration error, from a message and a hint. */
export type ListenerFailure = (message: string, hint: string) => Error;

/** Reads the certificate and key; a read error becomes the listener's own typed error naming `certFlags`. */
export async function readListenerTls(tls: ListenerTls, fail: ListenerFailure, certFlags: string): Promise<{ cert: Buffer; key: Buffer }> {
  try {
    const [cert, key] = await Promise.all([readFile(tls.certFile), readFile(tls.keyFile)]);
    return { cert, key };
  } catch (err) {
    throw fail(`cannot read the TLS certificate or key: ${(err as Error).message}`, `check ${certFlags} and their permissions`);
  }
}

/** `host` as it goes in a URL (an IPv6 literal in brackets). */
export function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

export interface HttpListener {
  server: http.Server;
  port: number;
  /** `http(s)://host:port`, the scheme by whether it has a certificate. */
  origin: string;
  close(): Promise<void>;
}

export interface HttpListenerOptions extends ListenerSecurity {
  host: string;
  port: number;
  handler: (req: IncomingMessage, res: ServerResponse) => void;
  /** The listener's typed configuration error (unreadable certificate, port taken). */
  fail: ListenerFailure;
  /** The flag that sets its address, for the hints (`--mcp`). */
  listenFlag: string;
  /** The flags that give it a certificate, for the hints. */
  certFlags: string;
  /** Sets the server's bounds (timeouts, connections) before it listens. */
  tune?: (server: http.Server) => void;
}

/** Creates the HTTP or HTTPS server, listens and answers its real port and origin. */
export async function listenHttp(o: HttpListenerOptions): Promise<HttpListener> {
  let server: http.Server;
  // https.Server is a tls.Server with http.Server's request handling and timeouts: the same knobs.
  if (o.tls) server = https.createServer(await readListenerTls(o.tls, o.fail, o.certFlags), o.handler) as unknown as http.Server;
  else server = http.createServer(o.handler);
  o.tune?.(server);
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', (err) => reject(o.fail(`cannot listen on ${o.host}:${o.port}: ${err.message}`, `pick another port with ${o.listenFlag} host:port`)));
    server.listen(o.port, o.host.replace(/^\[|\]$/g, ''), () => resolve((server.address() as AddressInfo).port));
  });
  return {
    server,
    port,
    origin: `${o.tls ? 'https' : 'http'}://${urlHost(o.host)}:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
