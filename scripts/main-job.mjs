#!/usr/bin/env node
// `npm start`: the main job. Builds the contract-net example agents, starts `caxton serve` on the
// embedded defaults (data in .caxton/demo, wiped at start but for its cache of prepared artifacts: this is a demo), deploys a contract-net
// initiator (JavaScript) and one courier per language — AssemblyScript, Rust, C, Go, Python and
// JavaScript, each its own WebAssembly component — through the gRPC API, then asks the initiator
// for a delivery every few seconds and prints the conversation as the bus carries it, each line
// with its sender's language.
//
// A language whose toolchain fails or is slow to install or build is left out with a note saying
// why and how to build it; the demo goes on with the others (it needs the initiator and at least
// one courier).
//
//   npm start                        run until Ctrl-C
//   npm start -- --rounds 3          stop after 3 completed conversations (exit 1 if they stall)
//   npm start -- --port 50051        API port (default 50051; 0 = any free port)
//   npm start -- --http-port 8080    web console port on 127.0.0.1 (default 8080; 0 = any free port)
//   npm start -- --build-timeout 240 seconds one language's toolchain and build may take
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildExample } from './example-builder.mjs';
import { productNode } from './infra/node-lts.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = parseArgs(process.argv.slice(2));
const dataDir = path.join(root, '.caxton', 'demo');
const tty = process.stdout.isTTY;
const c = (code, text) => (tty ? `\x1b[${code}m${text}\x1b[0m` : text);
const say = (text) => process.stdout.write(`${text}\n`);

function parseArgs(argv) {
  const out = { rounds: Infinity, port: 50051, httpPort: 8080, intervalMs: 2500, buildTimeoutS: 240 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    if (a === '--rounds') {
      out.rounds = Number(v);
      i++;
    } else if (a === '--port') {
      out.port = Number(v);
      i++;
    } else if (a === '--http-port') {
      out.httpPort = Number(v);
      i++;
    } else if (a === '--interval-ms') {
      out.intervalMs = Number(v);
      i++;
    } else if (a === '--build-timeout') {
      out.buildTimeoutS = Number(v);
      i++;
    } else if (a === '--help' || a === '-h') {
      say('usage: npm start [-- --rounds N] [--port P] [--http-port P] [--interval-ms MS] [--build-timeout S]');
      process.exit(0);
    } else {
      console.error(`unknown argument ${a} (try: npm start -- --help)`);
      process.exit(64);
    }
  }
  const isPort = (p) => Number.isInteger(p) && p >= 0 && p <= 65535;
  if (!(out.rounds > 0) || !isPort(out.port) || !isPort(out.httpPort) || !(out.buildTimeoutS > 0)) {
    console.error('--rounds and --build-timeout take a positive number, --port and --http-port a port number');
    process.exit(64);
  }
  return out;
}

// The initiator, and a courier per language: name, example, artifact, config. The configs make the
// auction visible: one courier names a low price, one declines, the rest bid a price of their own.
const initiator = {
  name: 'broker',
  example: 'contract-net/js-initiator',
  artifact: 'examples/contract-net/js-initiator/build/cnet-initiator.wasm',
  config: { 'service-type': 'delivery', 'deadline-ms': '1500' },
};
const couriers = [
  {
    name: 'courier-as',
    example: 'contract-net/as-contractor',
    artifact: 'examples/contract-net/as-contractor/build/cnet-contractor.wasm',
    config: {},
  },
  {
    name: 'courier-rs',
    example: 'contract-net/rust-contractor',
    artifact: 'examples/contract-net/rust-contractor/build/rust-contractor.wasm',
    config: { price: '42' },
  },
  {
    name: 'courier-c',
    example: 'contract-net/c-contractor',
    artifact: 'examples/contract-net/c-contractor/build/c-contractor.wasm',
    config: { decline: 'true' },
  },
  {
    name: 'courier-go',
    example: 'contract-net/go-contractor',
    artifact: 'examples/contract-net/go-contractor/build/go-contractor.wasm',
    config: {},
  },
  {
    name: 'courier-py',
    example: 'contract-net/py-contractor',
    artifact: 'examples/contract-net/py-contractor/build/py-contractor.wasm',
    config: {},
  },
  {
    name: 'courier-js',
    example: 'contract-net/js-contractor',
    artifact: 'examples/contract-net/js-contractor/build/cnet-js-contractor.wasm',
    config: {},
  },
];

say(`${c('1', 'Caxton main job')} — building the contract net's agents in six languages (first run installs their toolchains)…`);
const buildStarted = Date.now();
const built = new Set();
// Two builds at a time (two cores), in two fixed lanes: Rust's and C's toolchains both come from
// apt, one install at a time (their installs take Caxton's machine-wide apt lock), so they share a lane. Each line says what was built, or
// why a language was left out.
// The runtime runs on the current Node LTS (installed into the cache on first use, beside the builds).
const runtimeNode = productNode((line) => say(c('33', `note        ${line}`)));
const byName = new Map([initiator, ...couriers].map((a) => [a.name, a]));
const lanes = [
  ['broker', 'courier-rs', 'courier-c', 'courier-py'],
  ['courier-as', 'courier-go', 'courier-js'],
];
await Promise.all(
  lanes.map(async (lane) => {
    for (const agent of lane.map((name) => byName.get(name))) {
      const t0 = Date.now();
      try {
        await buildExample(agent.example, args.buildTimeoutS * 1000);
        built.add(agent.name);
        say(`built       ${agent.example.padEnd(30)} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      } catch (err) {
        say(c('33', `left out    ${agent.example.padEnd(30)} ${err.message}`));
        // The compiler's (or toolchain installer's) own last lines, so a fresh machine's log says why.
        for (const line of err.lines ?? []) say(c('33', `            │ ${line}`));
        say(c('33', `            build it alone for all its output: node scripts/build-examples.mjs ${agent.example}`));
      }
    }
  }),
);
const deployable = couriers.filter((x) => built.has(x.name));
if (!built.has(initiator.name) || deployable.length === 0) {
  console.error(
    `the demo needs the initiator and at least one courier: ${!built.has(initiator.name) ? 'the initiator' : 'no courier'} could not be built (see above)`,
  );
  process.exit(1);
}
say(`${deployable.length + 1} agents ready in ${((Date.now() - buildStarted) / 1000).toFixed(1)} s`);

// A fresh demo each start: everything in the data dir goes but its cache of prepared artifacts
// (keyed by each artifact's digest), so a second start deploys without preparing them again.
for (const entry of existsSync(dataDir) ? readdirSync(dataDir) : []) {
  if (entry !== 'cache') rmSync(path.join(dataDir, entry), { recursive: true, force: true });
}
const runtime = await runtimeNode;
say(`runtime     caxton serve on Node ${runtime.version}`);
const serve = spawn(
  runtime.node,
  ['cli/bin/caxton.js', 'serve', '--json', '--data-dir', dataDir, '--api-port', String(args.port), '--http', `127.0.0.1:${args.httpPort}`],
  {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: a terminal's Ctrl-C reaches only this script, which then stops the
    // runtime with exactly one SIGINT (a second one would make `caxton serve` exit without cleanup).
    detached: true,
  },
);
// Never leave the runtime behind, however this script ends.
process.on('exit', () => {
  if (serve.exitCode === null && serve.signalCode === null) serve.kill('SIGKILL');
});
// The runtime's stderr, kept (last 64 KiB) to show when something fails; how it exited, if it did.
let serveErr = '';
serve.stderr.on('data', (d) => {
  serveErr = (serveErr + d).slice(-65_536);
});
let serveExit;
serve.on('exit', (code, signal) => {
  serveExit = signal ? `killed by ${signal}` : `exited with ${code}`;
});
// Declared before anything that may call shutdown(): a failure during deploy ends the job early.
let shuttingDown = false;
let ticker;
let tail;
let consoleUrl;
const address = await new Promise((resolve, reject) => {
  let buf = '';
  const timer = setTimeout(() => reject(new Error(`caxton serve did not start within 60 s:\n${serveErr}`)), 60_000);
  serve.stdout.on('data', (d) => {
    buf += d;
    for (const line of buf.split('\n')) {
      try {
        const e = JSON.parse(line);
        if (e.event === 'serving') {
          clearTimeout(timer);
          consoleUrl = e.console;
          resolve(e.address);
        }
      } catch {
        /* partial line */
      }
    }
  });
  serve.on('exit', (code) => {
    clearTimeout(timer);
    reject(new Error(`caxton serve exited (${code}):\n${serveErr}`));
  });
}).catch((err) => {
  console.error(err.message);
  process.exit(1);
});

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

const languages = new Map();
async function deploy({ name, artifact, config }) {
  const bytes = readFileSync(path.join(root, artifact));
  const language = builtLanguage(artifact);
  // A dropped connection (UNAVAILABLE) while the runtime is still up is retried twice; a retry
  // that finds the name taken means the lost answer's deploy did land. Anything else fails the job.
  for (let attempt = 1; ; attempt++) {
    try {
      await client.deploy({ name, config, ...(language ? { language } : {}) }, bytes);
      break;
    } catch (err) {
      if (attempt > 1 && err.grpcCode === 6 /* ALREADY_EXISTS */) break;
      if (err.grpcCode !== 14 /* UNAVAILABLE */ || attempt >= 3) throw err;
      // A runtime that died drops its connections just before its exit is seen: wait for that first.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      if (serveExit) throw err;
      say(c('33', `deploy of ${name}: ${err.message}; the runtime is still up, trying again (${attempt} of 2)`));
    }
  }
  if (language) languages.set(name, language);
  say(
    `deployed ${c('1', name.padEnd(10))} ${path.basename(artifact).padEnd(24)} ${`${(bytes.byteLength / 1024).toFixed(0)} KiB`.padStart(9)}  ${(language ?? '').padEnd(14)} ${Object.entries(
      config,
    )
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
  );
}

try {
  for (const courier of deployable) await deploy(courier);
  await deploy(initiator);
} catch (err) {
  console.error(`deploy failed: ${err.message}${err.hint ? ` — ${err.hint}` : ''}`);
  // Give the runtime a moment to finish dying, if it is: its exit and last words say why.
  if (!serveExit) await new Promise((resolve) => setTimeout(resolve, 500));
  console.error(
    `the runtime ${serveExit ?? 'is still running'}; the last lines it wrote to stderr:\n${serveErr.trim().split('\n').slice(-40).join('\n') || '(none)'}`,
  );
  await shutdown(1);
}

const colours = {
  request: 33,
  agree: 32,
  cfp: 35,
  propose: 36,
  refuse: 31,
  'accept-proposal': 32,
  'reject-proposal': 90,
  'inform-result': 34,
  inform: 34,
  failure: 31,
  'not-understood': 31,
};
const local = (id) => (id?.name ?? '?').replace(/@caxton$/, '');
let completed = 0;
let waitingSince = Date.now();
say(`\n${c('1', 'conversation')} (one line per message the bus accepted):`);
tail = client.tail({}, (event) => {
  const m = event.message;
  const time = new Date(event.acceptedAt).toISOString().slice(11, 23);
  const to = m.receivers.map(local).join(',');
  const content = (m.content ?? '').length > 60 ? `${m.content.slice(0, 57)}…` : (m.content ?? '');
  const from = local(m.sender);
  const language = c('90', (languages.has(from) ? `[${languages.get(from)}]` : '').padEnd(16));
  say(
    `${c('90', time)} ${from.padEnd(10)} ${language} → ${to.padEnd(10)} ${c(String(colours[m.performative] ?? 0), m.performative.padEnd(16))} ${JSON.stringify(content)} ${c('90', m.conversationId ?? '')}`,
  );
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
    await client.send({
      structured: {
        performative: 'request',
        receivers: [{ name: 'broker' }],
        content: `deliver parcel #${round}`,
        protocol: 'fipa-request',
        conversationId: `parcel-${round}`,
        replyWith: `parcel-${round}-req`,
      },
    });
  } catch (err) {
    say(c('31', `send failed: ${err.message}`));
  }
}
await ask();
ticker = setInterval(() => {
  if (Date.now() - waitingSince > 30_000) {
    say(c('31', "no conversation finished in 30 s: something is wrong (see the agents' logs below)"));
    void shutdown(1);
    return;
  }
  if (round < args.rounds) void ask();
}, args.intervalMs);

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

async function shutdown(code) {
  if (shuttingDown) return;
  shuttingDown = true;
  if (ticker) clearInterval(ticker);
  tail?.cancel();
  if (code !== 0 && !serveExit) {
    for (const name of ['broker', deployable[0]?.name ?? 'courier-as']) {
      await new Promise((resolve) => {
        const h = client.logs({ agent: name, follow: false, limit: 20 }, (e) => say(`  ${name} ${e.level} ${e.message}`));
        h.done.then(resolve, resolve);
      });
    }
  }
  client.close();
  say('stopping the runtime…');
  if (!serveExit) serve.kill('SIGINT');
  const exited =
    serveExit !== undefined ||
    (await Promise.race([
      new Promise((resolve) => serve.on('exit', () => resolve(true))),
      new Promise((resolve) => setTimeout(() => resolve(false), 15_000)),
    ]));
  if (!exited) serve.kill('SIGKILL');
  say(code === 0 ? `done: ${completed} conversation(s) completed.` : 'main job failed.');
  process.exit(code);
}
