/**
 * Test support: a real Kafka broker from scripts/infra (started in before(), stopped in after()),
 * or an existing one named by CAXTON_TEST_KAFKA=host:port (then tests use unique topic prefixes
 * and never stop or restart it; tests that must restart a broker always start their own).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { randomUUID } from 'node:crypto';

export interface KafkaServer {
  readonly bootstrap: string;
  readonly port: number;
  readonly lastStartMs: number;
  start(): Promise<void>;
  stop(opts?: { keepData?: boolean }): Promise<void>;
  restart(): Promise<void>;
  kill(): Promise<void>;
  tail(lines?: number): Promise<string>;
}

interface InfraModule {
  startKafka(opts?: { heap?: string; port?: number; controllerPort?: number; dataDir?: string }): Promise<KafkaServer>;
  freePort(): Promise<number>;
}

/** scripts/infra/index.mjs, found by walking up from this file (src and dist sit at different depths). */
export async function infra(): Promise<InfraModule> {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'scripts', 'infra', 'index.mjs');
    if (fs.existsSync(candidate)) return (await import(pathToFileURL(candidate).href)) as InfraModule;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`scripts/infra/index.mjs not found above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

export interface TestKafka {
  bootstrap: string;
  /** Present only when this test run started the broker itself. */
  server: KafkaServer | undefined;
  stop(): Promise<void>;
}

/** A broker for a test file. `own: true` always starts a private one (needed to restart it). */
export async function startTestKafka({ own = false } = {}): Promise<TestKafka> {
  const existing = process.env.CAXTON_TEST_KAFKA;
  if (existing && !own) return { bootstrap: existing, server: undefined, stop: async () => {} };
  const server = await (await infra()).startKafka({ heap: '512m' });
  return { bootstrap: server.bootstrap, server, stop: () => server.stop() };
}

/** Topic prefix + cluster name unique to one test, so tests never see each other's records. */
export function uniqueNames(label: string): { topicPrefix: string; cluster: string } {
  const id = randomUUID().slice(0, 8);
  return { topicPrefix: `test.${label}.${id}`, cluster: `c${id}` };
}

export async function waitFor(what: string, predicate: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** kafkajs logs go here instead of stderr; kept for failure diagnostics. */
export function collectingLogger(): { sink: (e: { level: string; namespace: string; message: string }) => void; lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    sink: (e) => {
      if (e.level === 'error' || e.level === 'warn') lines.push(`${e.level} ${e.namespace}: ${e.message}`);
    },
  };
}
