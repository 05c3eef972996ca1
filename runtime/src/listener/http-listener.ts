/**
 * The node's own HTTP listeners — the console, MCP, A2A and the FIPA ACC (decision 2040) — share
 * one rule and one way to start: plain HTTP off loopback carries bearer tokens or a peer's secret
 * in clear, so it is refused unless the listener has a certificate or the operator accepted the
 * risk by name (`--…-insecure`); with a certificate the listener serves HTTPS and its URLs say so.
 * The rule is pure; the certificate and key are read (bounded, regular files only) and checked as
 * a pair (`tls.createSecureContext`: PEM, matching, not encrypted) before the node starts anything
 * (`readListenerTls` from start-node) and again when the listener starts; either failure is a typed
 * refusal naming the flags.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { isLoopbackHost } from '@caxton/core';
import { readBoundedFile } from './bounded-file.js';

/** A certificate chain or key file is at most this big (as `--http-ca`'s extra CA). */
export const MAX_LISTENER_PEM_BYTES = 256 * 1024;
/** Connections a listener holds at once unless it sets its own bound in `tune` (the ACC does): idle ones cannot pile up without end. */
export const LISTENER_MAX_CONNECTIONS = 1024;
/** A TLS handshake must end this soon after the connection (Node's default is 120 s: idle handshakes would pile up). */
export const LISTENER_HANDSHAKE_TIMEOUT_MS = 10_000;

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

/** What one listener's plain-HTTP check needs: its flag (for the message), what it would expose, its typed error. */
export interface PlaintextBinding {
  /** The serve flag that asked for the listener, e.g. `--a2a`. */
  flag: string;
  /** What would cross the network in clear, e.g. `bearer tokens`. */
  exposes: string;
  fail: ListenerFailure;
  /** The way out, when it differs from the shared listener flags' (the console has its own). */
  hint?: string;
}

/**
 * Refuses a listener that would serve plain HTTP beyond loopback without the operator having said so:
 * credentials must not cross a network in clear. Every listener's check is this one, run before the
 * node starts anything.
 */
export function checkPlaintextBinding(o: { host: string; port: number } & ListenerSecurity, b: PlaintextBinding): void {
  if (plaintextRefused(o.host, o)) {
    throw b.fail(
      `${b.flag} ${o.host}:${o.port} would serve plain HTTP beyond loopback: ${b.exposes} would cross the network in clear`,
      b.hint ?? plaintextHint(LISTENER_CERT_FLAGS, LISTENER_INSECURE_FLAG),
    );
  }
}

/**
 * Reads the certificate and key (each a regular file of at most 256 KiB, read from the handle it
 * was checked on) and checks them as a pair; a failure becomes the listener's own typed error
 * naming `certFlags`, never Node's raw `ERR_OSSL_…` after half the node has started.
 */
export async function readListenerTls(
  files: ListenerTls,
  fail: ListenerFailure,
  certFlags: string,
): Promise<{ cert: Buffer; key: Buffer }> {
  let cert: Buffer;
  let key: Buffer;
  try {
    [cert, key] = await Promise.all([
      readBoundedFile(files.certFile, MAX_LISTENER_PEM_BYTES),
      readBoundedFile(files.keyFile, MAX_LISTENER_PEM_BYTES),
    ]);
  } catch (err) {
    throw fail(
      `cannot read the TLS certificate or key: ${(err as Error).message}`,
      `check ${certFlags}: regular files of at most ${MAX_LISTENER_PEM_BYTES} bytes the node may read`,
    );
  }
  try {
    tls.createSecureContext({ cert, key });
  } catch (err) {
    throw fail(
      `the TLS certificate and key are not a usable pair: ${(err as Error).message}`,
      `${certFlags} take a PEM certificate chain and its unencrypted PEM private key (openssl x509 -noout -modulus and openssl rsa -noout -modulus must match)`,
    );
  }
  return { cert, key };
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
  /** Sets the server's bounds (timeouts, connections) before it listens; the console also takes WebSocket upgrades here. */
  tune?: (server: http.Server) => void;
  /** Where the server's errors after it listens go (EMFILE on accept, …). Default: the process's stderr. */
  onError?: (err: unknown) => void;
}

/** Creates the HTTP or HTTPS server, listens and answers its real port and origin. */
export async function listenHttp(o: HttpListenerOptions): Promise<HttpListener> {
  let server: http.Server;
  // https.Server is a tls.Server with http.Server's request handling and timeouts: the same knobs.
  if (o.tls)
    server = https.createServer(
      { ...(await readListenerTls(o.tls, o.fail, o.certFlags)), handshakeTimeout: LISTENER_HANDSHAKE_TIMEOUT_MS },
      o.handler,
    ) as unknown as http.Server;
  else server = http.createServer(o.handler);
  server.maxConnections = LISTENER_MAX_CONNECTIONS;
  o.tune?.(server);
  const port = await new Promise<number>((resolve, reject) => {
    const refused = (err: Error): void =>
      reject(o.fail(`cannot listen on ${o.host}:${o.port}: ${err.message}`, `pick another port with ${o.listenFlag} host:port`));
    server.once('error', refused);
    server.listen(o.port, o.host.replace(/^\[|\]$/g, ''), () => {
      // Listening: later errors are reported, not handed to a promise already settled.
      server.off('error', refused);
      server.on(
        'error',
        o.onError ?? ((err) => process.stderr.write(`caxton: the listener on ${o.host}:${o.port} (${o.listenFlag}): ${String(err)}\n`)),
      );
      resolve((server.address() as AddressInfo).port);
    });
  });
  return {
    server,
    port,
    origin: `${o.tls ? 'https' : 'http'}://${urlHost(o.host)}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
