#!/usr/bin/env node
// `npm start`: the main job. Builds the example agents, starts `caxton serve` on the embedded
// defaults (data in .caxton/demo, wiped at start: this is a demo), deploys a contract-net initiator
// (JavaScript) and five contractors (AssemblyScript) through the gRPC API, then asks the initiator
// for a delivery every few seconds and prints the conversation as the bus carries it.
//
//   npm start                      run until Ctrl-C
//   npm start -- --rounds 3        stop after 3 completed conversations (exit 1 if they stall)
//   npm start -- --port 50051      API port (default 50051; 0 = any free port)
//   npm start -- --http-port 8080  web console port on 127.0.0.1 (default 8080; 0 = any free port)
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = parseArgs(process.argv.slice(2));
const dataDir = path.join(root, '.caxton', 'demo');
const tty = process.stdout.isTTY;
const c = (code, text) => (tty ? `\x1b[${code}m${text}\x1b[0m` : text);
const say = (text) => process.stdout.write(`${text}\n`);

function parseArgs(argv) {
  const out = { rounds: Infinity, port: 50051, httpPort: 8080, intervalMs: 2500 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    if (a === '--rounds') { out.rounds = Number(v); i++; }
    else if (a === '--port') { out.port = Number(v); i++; }
    else if (a === '--http-port') { out.httpPort = Number(v); i++; }
    else if (a === '--interval-ms') { out.intervalMs = Number(v); i++; }
    else if (a === '--help' || a === '-h') {
      say('usage: npm start [-- --rounds N] [--port P] [--http-port P] [--interval-ms MS]');
      process.exit(0);
    } else {
      console.error(`unknown argument ${a} (try: npm start -- --help)`);
      process.exit(64);
    }
  }
  const isPort = (p) => Number.isInteger(p) && p >= 0 && p <= 65535;
  if (!(out.rounds > 0) || !isPort(out.port) || !isPort(out.httpPort)) {
    console.error('--rounds takes a positive number, --port and --http-port a port number');
    process.exit(64);
  }
  return out;
}

function runQuiet(cmd, argv) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${path.basename(argv[0])} exited with ${code}`))));
  });
}

say(c('1', 'Caxton main job') + ' — building example agents…');
await runQuiet(process.execPath, ['scripts/build-examples.mjs', 'contract-net']);
const index = {
  initiator: 'examples/contract-net/js-initiator/build/cnet-initiator.wasm',
  contractor: 'examples/contract-net/as-contractor/build/cnet-contractor.wasm',
};

rmSync(dataDir, { recursive: true, force: true });
const serve = spawn(process.execPath, ['cli/bin/caxton.js', 'serve', '--json', '--data-dir', dataDir, '--api-port', String(args.port), '--http', `127.0.0.1:${args.httpPort}`], {
  cwd: root,
  stdio: ['ignore', 'pipe', 'pipe'],
  // Its own process group: a terminal's Ctrl-C reaches only this script, which then stops the
  // runtime with exactly one SIGINT (a second one would make `caxton serve` exit without cleanup).
  detached: true,
});
// Never leave the runtime behind, however this script ends.
process.on('exit', () => {
  if (serve.exitCode === null && serve.signalCode === null) serve.kill('SIGKILL');
});
let serveErr = '';
serve.stderr.on('data', (d) => { serveErr += d; });
let consoleUrl;
const address = await new Promise((resolve, reject) => {
  let buf = '';
  const timer = setTimeout(() => reject(new Error(`caxton serve did not start within 60 s:\n${serveErr}`)), 60_000);
  serve.stdout.on('data', (d) => {
    buf += d;
    for (const line of buf.split('\n')) {
      try {
        const e = JSON.parse(line);
        if (e.event === 'serving') { clearTimeout(timer); consoleUrl = e.console; resolve(e.address); }
      } catch { /* partial line */ }
    }
  });
  serve.on('exit', (code) => { clearTimeout(timer); reject(new Error(`caxton serve exited (${code}):\n${serveErr}`)); });
}).catch((err) => { console.error(err.message); process.exit(1); });

const { CaxtonClient } = await import(pathToFileURL(path.join(root, 'runtime/dist/src/index.js')).href);
const token = readFileSync(path.join(dataDir, 'auth-token'), 'utf8').trim();
const client = await CaxtonClient.connect({ address, token });
const cli = `node cli/bin/caxton.js --addr ${address} --data-dir ${path.relative(root, dataDir)}`;
say(`runtime up: gRPC API on ${c('1', address)} (token in ${path.relative(root, dataDir)}/auth-token)`);
if (consoleUrl) say(`console: ${c('1', consoleUrl)} (token: ${path.relative(root, path.join(dataDir, 'auth-token'))})`);
say(`try, in another terminal:  ${c('36', `${cli} agents`)}   ·   ${c('36', `${cli} tail`)}   ·   ${c('36', `${cli} status`)}`);

// The language `caxton build` recorded beside each artifact (<name>.build.json), shown by the
// console and `caxton agents`; a missing or unreadable manifest just leaves it unstated.
function builtLanguage(file) {
  try {
    const { language } = JSON.parse(readFileSync(path.join(root, file.replace(/\.wasm$/, '.build.json')), 'utf8'));
    return typeof language === 'string' && language !== '' ? language : undefined;
  } catch {
    return undefined;
  }
}

async function deploy(name, file, config) {
  const bytes = readFileSync(path.join(root, file));
  const language = builtLanguage(file);
  await client.deploy({ name, config, ...(language ? { language } : {}) }, bytes);
  say(`deployed ${c('1', name.padEnd(10))} ${path.basename(file)} (${(bytes.byteLength / 1024).toFixed(0)} KiB${language ? `, ${language}` : ''}) ${Object.entries(config).map(([k, v]) => `${k}=${v}`).join(' ')}`);
}

const contractors = [
  ['courier-a', {}], ['courier-b', {}], ['courier-c', { price: '42' }], ['courier-d', { decline: 'true' }], ['courier-e', {}],
];
try {
  for (const [name, config] of contractors) await deploy(name, index.contractor, config);
  await deploy('broker', index.initiator, { 'service-type': 'delivery', 'deadline-ms': '800' });
} catch (err) {
  console.error(`deploy failed: ${err.message}${err.hint ? ` — ${err.hint}` : ''}`);
  await shutdown(1);
}

const colours = { request: 33, agree: 32, cfp: 35, propose: 36, refuse: 31, 'accept-proposal': 32, 'reject-proposal': 90, 'inform-result': 34, inform: 34, failure: 31, 'not-understood': 31 };
const local = (id) => (id?.name ?? '?').replace(/@caxton$/, '');
let completed = 0;
let waitingSince = Date.now();
say(`\n${c('1', 'conversation')} (one line per message the bus accepted):`);
const tail = client.tail({}, (event) => {
  const m = event.message;
  const time = new Date(event.acceptedAt).toISOString().slice(11, 23);
  const to = m.receivers.map(local).join(',');
  const content = (m.content ?? '').length > 60 ? `${m.content.slice(0, 57)}…` : (m.content ?? '');
  say(`${c('90', time)} ${local(m.sender).padEnd(10)} → ${to.padEnd(10)} ${c(String(colours[m.performative] ?? 0), m.performative.padEnd(16))} ${JSON.stringify(content)} ${c('90', m.conversationId ?? '')}`);
  if (to === 'operator' && (m.performative === 'inform' || m.performative === 'failure')) {
    completed += 1;
    waitingSince = Date.now();
    say(c('1', `— conversation ${completed} finished (${m.performative}) —`));
    if (completed >= args.rounds) void shutdown(0);
  }
});

let round = 0;
async function ask() {
  round += 1;
  try {
    await client.send({ structured: {
      performative: 'request', receivers: [{ name: 'broker' }], content: `deliver parcel #${round}`,
      protocol: 'fipa-request', conversationId: `parcel-${round}`, replyWith: `parcel-${round}-req`,
    } });
  } catch (err) {
    say(c('31', `send failed: ${err.message}`));
  }
}
await ask();
const ticker = setInterval(() => {
  if (Date.now() - waitingSince > 30_000) {
    say(c('31', 'no conversation finished in 30 s: something is wrong (see the agents\' logs below)'));
    void shutdown(1);
    return;
  }
  if (round < args.rounds) void ask();
}, args.intervalMs);

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

let shuttingDown = false;
async function shutdown(code) {
  if (shuttingDown) return;
  shuttingDown = true;
  clearInterval(ticker);
  tail?.cancel();
  if (code !== 0) {
    for (const name of ['broker', 'courier-a']) {
      await new Promise((resolve) => {
        const h = client.logs({ agent: name, follow: false, limit: 20 }, (e) => say(`  ${name} ${e.level} ${e.message}`));
        h.done.then(resolve, resolve);
      });
    }
  }
  client.close();
  say('stopping the runtime…');
  serve.kill('SIGINT');
  const exited = await Promise.race([
    new Promise((resolve) => serve.on('exit', () => resolve(true))),
    new Promise((resolve) => setTimeout(() => resolve(false), 15_000)),
  ]);
  if (!exited) serve.kill('SIGKILL');
  say(code === 0 ? `done: ${completed} conversation(s) completed.` : 'main job failed.');
  process.exit(code);
}
