#!/usr/bin/env node
/**
 * Local Kafka/etcd for development:
 *   node scripts/infra/infra.mjs up|down|status [kafka|etcd] [--purge] [--json]
 * `up` starts detached servers on the well-known ports (Kafka 9092 + controller 9093, etcd 2379 +
 * peer 2380; override with CAXTON_KAFKA_PORT, CAXTON_KAFKA_CONTROLLER_PORT, CAXTON_ETCD_PORT,
 * CAXTON_ETCD_PEER_PORT) with data under <cache>/run/<service>; `down` stops them (data is kept
 * unless --purge). Tests do not use this: they start private servers through index.mjs.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { startKafka } from './kafka.mjs';
import { startEtcd } from './etcd.mjs';
import { runDir } from './lib/paths.mjs';
import { isAlive, commandLine, stopProcess } from './lib/process.mjs';
import { InfraError } from './lib/errors.mjs';

const SERVICES = {
  kafka: {
    marker: 'kafka.Kafka',
    async start(dataDir) {
      const h = await startKafka({
        port: Number(process.env.CAXTON_KAFKA_PORT ?? 9092),
        controllerPort: Number(process.env.CAXTON_KAFKA_CONTROLLER_PORT ?? 9093),
        dataDir,
        detached: true,
      });
      return { pid: h.pid, address: h.bootstrap, logFile: h.logFile, startMs: h.lastStartMs };
    },
  },
  etcd: {
    marker: 'etcd',
    async start(dataDir) {
      const h = await startEtcd({
        clientPort: Number(process.env.CAXTON_ETCD_PORT ?? 2379),
        peerPort: Number(process.env.CAXTON_ETCD_PEER_PORT ?? 2380),
        dataDir,
        detached: true,
      });
      return { pid: h.pid, address: h.endpoint, logFile: h.logFile, startMs: h.lastStartMs };
    },
  },
};

const stateFile = (name) => path.join(runDir(name), 'state.json');

/** The recorded server if it is still running (and the pid was not reused by something else). */
async function running(name) {
  const state = await fs.readFile(stateFile(name), 'utf8').then(JSON.parse, () => null);
  if (!state || !isAlive(state.pid)) return { state, alive: false };
  const cmd = await commandLine(state.pid);
  return { state, alive: cmd.includes(SERVICES[name].marker) };
}

async function up(name) {
  const { state, alive } = await running(name);
  if (alive) return { name, status: 'running', ...state, note: 'already running' };
  const dataDir = path.join(runDir(name), 'data');
  const started = await SERVICES[name].start(dataDir);
  const next = { ...started, dataDir, startedAt: new Date().toISOString() };
  await fs.writeFile(stateFile(name), JSON.stringify(next, null, 2));
  return { name, status: 'running', ...next };
}

async function down(name, purge) {
  const { state, alive } = await running(name);
  let result = 'not running';
  if (alive) result = `stopped (${await stopProcess(state.pid, { graceMs: 20_000 })})`;
  await fs.rm(stateFile(name), { force: true });
  if (purge) await fs.rm(path.join(runDir(name), 'data'), { recursive: true, force: true });
  return { name, status: result, purged: purge };
}

async function status(name) {
  const { state, alive } = await running(name);
  return alive ? { name, status: 'running', ...state } : { name, status: 'stopped' };
}

async function main() {
  const args = process.argv.slice(2);
  const flags = new Set(args.filter((a) => a.startsWith('--')));
  const [command, which] = args.filter((a) => !a.startsWith('--'));
  const names = which ? [which] : Object.keys(SERVICES);
  if (!['up', 'down', 'status'].includes(command ?? '') || names.some((n) => !(n in SERVICES))) {
    process.stderr.write('usage: node scripts/infra/infra.mjs up|down|status [kafka|etcd] [--purge] [--json]\n');
    process.exit(2);
  }
  const results = [];
  for (const name of names) {
    await fs.mkdir(runDir(name), { recursive: true });
    if (command === 'up') results.push(await up(name));
    else if (command === 'down') results.push(await down(name, flags.has('--purge')));
    else results.push(await status(name));
  }
  if (flags.has('--json')) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  else
    for (const r of results) {
      process.stdout.write(
        `${r.name}: ${r.status}${r.address ? ` at ${r.address}` : ''}${r.pid ? ` (pid ${r.pid})` : ''}${r.note ? ` — ${r.note}` : ''}\n`,
      );
    }
}

main().catch((e) => {
  process.stderr.write(`${e instanceof InfraError ? e.describe() : (e.stack ?? e)}\n`);
  process.exit(1);
});
