/**
 * Real local servers for the gateway tests: node:http, and node:https with a certificate signed by
 * a test CA made at test time with the `openssl` CLI (node:crypto cannot sign X.509). Also an
 * honest in-memory AgentStateStore (a Map per agent) for the pending-call records.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { StateWrite } from '@caxton/core';
import type { AgentStateStore } from '../../src/storage/ports.js';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface TestServer {
  port: number;
  close(): Promise<void>;
}

async function listen(server: Server): Promise<TestServer> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function httpServer(handler: Handler): Promise<TestServer> {
  return listen(createHttp(handler));
}

export interface TestCa {
  caPem: string;
  keyPem: string;
  certPem: string;
  remove(): void;
}

/** A CA and a server certificate for localhost / 127.0.0.1 signed by it. */
export function makeTestCa(): TestCa {
  const dir = mkdtempSync(path.join(tmpdir(), 'caxton-http-ca-'));
  const f = (name: string): string => path.join(dir, name);
  const run = (args: string[]): void => {
    execFileSync('openssl', args, { stdio: 'ignore' });
  };
  run([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
    '-days',
    '1',
    '-subj',
    '/CN=caxton test CA',
  ]);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('srv.key'), '-out', f('srv.csr'), '-subj', '/CN=localhost']);
  writeFileSync(f('ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  run([
    'x509',
    '-req',
    '-in',
    f('srv.csr'),
    '-CA',
    f('ca.pem'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-out',
    f('srv.pem'),
    '-days',
    '1',
    '-extfile',
    f('ext.cnf'),
  ]);
  return {
    caPem: readFileSync(f('ca.pem'), 'utf8'),
    keyPem: readFileSync(f('srv.key'), 'utf8'),
    certPem: readFileSync(f('srv.pem'), 'utf8'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function httpsServer(ca: TestCa, handler: Handler): Promise<TestServer> {
  return listen(createHttps({ key: ca.keyPem, cert: ca.certPem }, handler) as unknown as Server);
}

/** AgentStateStore kept in memory (tests only): a Map of entries per agent. */
export class InMemoryAgentStateStore implements AgentStateStore {
  readonly agents = new Map<string, Map<string, string>>();
  readonly commits: { agent: string; writes: StateWrite[] }[] = [];

  async readState(agent: string): Promise<ReadonlyMap<string, string>> {
    return new Map(this.agents.get(agent) ?? []);
  }

  async commitState(agent: string, writes: readonly StateWrite[]): Promise<void> {
    const entries = this.agents.get(agent) ?? new Map<string, string>();
    for (const w of writes) {
      if (w.value === null) entries.delete(w.key);
      else entries.set(w.key, w.value);
    }
    this.agents.set(agent, entries);
    this.commits.push({ agent, writes: [...writes] });
  }

  async clearState(agent: string): Promise<void> {
    this.agents.delete(agent);
  }
}
