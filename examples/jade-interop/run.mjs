#!/usr/bin/env node
// The JADE-interop demo, run end to end (examples/jade-interop/README.md does the same by hand).
//
//   CAXTON_JADE_JAR=/path/to/jade.jar node examples/jade-interop/run.mjs
//
// Uses only the `caxton` CLI of this checkout and `java`/`javac`: compiles the JADE agents of
// jade/ into a temporary directory, starts `caxton serve` on free loopback ports with a temporary
// data directory and a peers file naming the JADE platform, deploys examples/as-echo as `echo` and
// examples/jade-interop/caller as `caller`, starts a JADE platform, and shows both directions:
//   1. JADE → Caxton: JADE's `asker` sends `request` to echo@caxton and prints the `inform` back;
//   2. Caxton → JADE: `caxton send caller request …` makes caller ask pong@jade-demo, whose
//      `inform` comes back to caller, which passes it on to the operator.
// Exits 0 only when both round trips were seen; without CAXTON_JADE_JAR it says how to get JADE
// and exits 0 with "skipped". Everything it starts is stopped on the way out, also on Ctrl-C or a
// failure, and the temporary directory is removed (a second Ctrl-C kills what is still running at
// once). DEMO_STEP_TIMEOUT_MS (a whole number of milliseconds, default 30000) bounds each wait for a
// round trip.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const CAXTON = path.join(root, 'cli/bin/caxton.js');
const JADE_PLATFORM = 'jade-demo';

const say = (line) => process.stdout.write(`${line}\n`);

const STEP_TIMEOUT_MS = Number(process.env.DEMO_STEP_TIMEOUT_MS ?? 30_000);
if (!Number.isSafeInteger(STEP_TIMEOUT_MS) || STEP_TIMEOUT_MS < 1 || !/^\d+$/.test(process.env.DEMO_STEP_TIMEOUT_MS ?? '1')) {
  process.stderr.write(`error: DEMO_STEP_TIMEOUT_MS is ${JSON.stringify(process.env.DEMO_STEP_TIMEOUT_MS)}, not a whole number of milliseconds\n  hint: e.g. DEMO_STEP_TIMEOUT_MS=30000, or leave it unset\n`);
  process.exit(1);
}

const jar = process.env.CAXTON_JADE_JAR;
if (!jar || !existsSync(jar)) {
  say(jar ? `CAXTON_JADE_JAR names ${jar}, which does not exist.` : 'CAXTON_JADE_JAR is not set.');
  say('This demo needs JADE (4.6.5) and a JDK (17): get jade.jar from https://jade.tilab.com or build it from');
  say('the LGPL sources (https://github.com/EnFlexIT/JADE), then run');
  say('  CAXTON_JADE_JAR=/path/to/jade.jar node examples/jade-interop/run.mjs');
  say('skipped');
  process.exit(0);
}
if (!existsSync(CAXTON)) fatal(`${path.relative(process.cwd(), CAXTON)} is missing`, 'run npm install and npm run build first');

// The demo's node is its own: a CAXTON_ADDR, CAXTON_TOKEN or CAXTON_CONTEXT of the user's must not
// point its `caxton` commands elsewhere (they are given --addr and --data-dir).
const childEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CAXTON_')));

/** Every process started here, stopped in reverse order on the way out. */
const children = [];
const tmp = mkdtempSync(path.join(os.tmpdir(), 'caxton-jade-demo-'));
let cleaning;
let interrupted = false;

function forget(proc) {
  const i = children.indexOf(proc);
  if (i >= 0) children.splice(i, 1);
}

/**
 * Starts a child whose output is kept (and, for `show`, printed as it comes with a prefix); a
 * line matching `failOn` fails every wait on it at once. Refused once the cleanup has begun, so
 * that nothing outlives it.
 */
function start(name, command, args, { show = () => false, cwd = root, failOn } = {}) {
  if (cleaning) throw new Error(`${name}: not started, the demo is stopping`);
  const child = spawn(command, args, { cwd, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  // A command that cannot be started (no java on PATH) emits `error` and never `exit`.
  const exited = new Promise((r) => {
    child.once('exit', (code, signal) => r({ code, signal }));
    child.once('error', (e) => { proc.out += `\n${e.message}\n`; r({ code: -1, signal: null }); });
  });
  // `out` is everything, for the eye; `lines` are whole lines, each stream split on its own so
  // that a chunk of one cannot cut a line of the other.
  const proc = { name, child, out: '', lines: [], failOn, wake: new Set(), exited };
  const follow = (stream) => {
    let partial = '';
    stream.on('data', (chunk) => {
      const text = chunk.toString('utf8');
      proc.out += text;
      const lines = (partial + text).split('\n');
      partial = lines.pop();
      for (const line of lines) {
        proc.lines.push(line);
        if (show(line)) say(`  [${name}] ${line}`);
      }
      for (const w of [...proc.wake]) w();
    });
  };
  follow(child.stdout);
  follow(child.stderr);
  void exited.then(() => { proc.ended = true; for (const w of [...proc.wake]) w(); });
  children.push(proc);
  return proc;
}

/** Resolves with the first line of `proc`'s output matching `re`; rejects if it exits first or after the timeout. */
function lineFrom(proc, re, what, ms = STEP_TIMEOUT_MS) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`${what}: not seen within ${ms / 1000} s`)), ms);
    const check = () => {
      const line = proc.lines.find((l) => re.test(l));
      if (line !== undefined) return done(undefined, line);
      const broken = proc.failOn && proc.lines.find((l) => proc.failOn.test(l));
      if (broken) return done(new Error(`${what}: ${proc.name} printed "${broken.trim()}"`));
      if (proc.ended) done(new Error(`${what}: ${proc.name} exited first`));
    };
    function done(err, line) {
      clearTimeout(timer);
      proc.wake.delete(check);
      if (err) reject(Object.assign(err, { output: proc }));
      else resolve(line);
    }
    proc.wake.add(check);
    check();
  });
}

/** Runs one `caxton` command to its end; throws with its output when it fails. */
async function caxton(args, what) {
  const proc = start(`caxton ${args[0]}`, process.execPath, [CAXTON, ...args]);
  const { code } = await proc.exited;
  forget(proc);
  if (code !== 0) throw Object.assign(new Error(`${what}: caxton ${args[0]} exited ${code}`), { output: proc });
  return proc.out;
}

/** Stops `proc` as Ctrl-C would (SIGINT for caxton, SIGTERM for the JVM), then kills it if it lingers. */
async function stop(proc, signal) {
  if (proc.ended) return;
  proc.child.kill(signal);
  const late = setTimeout(() => proc.child.kill('SIGKILL'), 10_000);
  await proc.exited;
  clearTimeout(late);
}

function cleanup() {
  cleaning ??= (async () => {
    await null; // `cleaning` is set before the first stop: from here on start() refuses
    while (children.length > 0) {
      const proc = children[children.length - 1];
      await stop(proc, proc.name === 'jade' ? 'SIGTERM' : 'SIGINT');
      forget(proc);
    }
    rmSync(tmp, { recursive: true, force: true });
  })();
  return cleaning;
}

/** A second Ctrl-C: no more waiting for anything to stop nicely. */
function killNow() {
  for (const proc of children) if (!proc.ended) proc.child.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
  process.exit(130);
}

function fatal(message, hint) {
  process.stderr.write(`error: ${message}\n${hint ? `  hint: ${hint}\n` : ''}`);
  process.exit(1);
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (interrupted) {
      say(`${signal} again: killing everything`);
      killNow();
    }
    interrupted = true;
    say(`${signal}: stopping everything (again to kill at once)`);
    void cleanup().then(() => process.exit(130));
  });
}

/**
 * A free loopback port, held (listened on) until `release()`: while it is held, neither the node's
 * port-0 listeners nor another hold can be given it.
 */
async function holdPort() {
  const s = createServer();
  await new Promise((resolve, reject) => { s.once('error', reject); s.listen(0, '127.0.0.1', resolve); });
  return { port: s.address().port, release: () => new Promise((r) => s.close(() => r())) };
}

async function main() {
  say(`JADE:        ${jar}`);
  say(`work dir:    ${tmp}`);

  // 1. The JADE agents, compiled against the given jade.jar while the node starts.
  const classes = path.join(tmp, 'classes');
  const sources = readdirSync(path.join(here, 'jade')).filter((f) => f.endsWith('.java')).map((f) => path.join(here, 'jade', f));
  const javac = start('javac', 'javac', ['-cp', jar, '-d', classes, ...sources]);
  const compiled = javac.exited.then(({ code }) => {
    forget(javac);
    if (code !== 0) throw Object.assign(new Error(`javac exited ${code}`, { cause: 'install a JDK (17) so that javac and java are on PATH' }), { output: javac });
    say(`compiled:    ${sources.map((s) => path.basename(s)).join(', ')}`);
  });
  compiled.catch(() => {}); // awaited below; this keeps a failure before then from being an unhandled rejection

  // 2. A Caxton node whose ACC lets the JADE platform in (its secret) and posts to JADE's ACC. Its
  // API and ACC ports are the kernel's choice (port 0; the `serving` line says which). JADE's ACC
  // port (the peers file names it) is held from now until JADE starts, and its intra-platform port
  // is chosen once the node listens, so no port can be handed out twice.
  const jadeMtp = await holdPort();
  const jadeMtpPort = jadeMtp.port;
  const jadeAcc = `http://127.0.0.1:${jadeMtpPort}/acc`;
  const secret = randomBytes(32).toString('base64url');
  const peers = path.join(tmp, 'peers.json');
  writeFileSync(peers, JSON.stringify({ peers: [{ platform: JADE_PLATFORM, secret, acc: jadeAcc }] }, null, 2));
  const dataDir = path.join(tmp, 'data');
  const serve = start('caxton serve', process.execPath, [CAXTON, 'serve', '--json', '--data-dir', dataDir, '--api-port', '0',
    '--mtp-http', '127.0.0.1:0', '--mtp-peers', peers]);
  const serving = JSON.parse(await lineFrom(serve, /^\{.*"event":"serving"/, 'caxton serve ready', 60_000));
  const capability = `${serving.mtp}/${secret}`;
  const conn = ['--addr', serving.address, '--data-dir', dataDir];
  say(`caxton:      API ${serving.address}, platform ${serving.platform ?? 'caxton'}, ACC ${serving.mtp}`);

  // Every message the node accepts, as it goes (started first, so it is following before JADE speaks).
  start('caxton tail', process.execPath, [CAXTON, 'tail', ...conn], { show: (l) => l.trim() !== '' });

  // 3. The Caxton agents, each allowed to post to the JADE ACC only (loopback: --allow-private-http).
  const toJade = ['--allow-http', `127.0.0.1:${jadeMtpPort}`, '--allow-private-http', '127.0.0.1'];
  await Promise.all([
    caxton(['deploy', path.join(root, 'examples/as-echo'), '--name', 'echo', ...toJade, ...conn], 'deploying the echo')
      .then(() => say('deployed:    echo (examples/as-echo)')),
    caxton(['deploy', path.join(here, 'caller'), '--name', 'caller', '--config', `peer=pong@${JADE_PLATFORM}`, ...toJade, ...conn], 'deploying the caller')
      .then(() => say(`deployed:    caller (examples/jade-interop/caller), peer pong@${JADE_PLATFORM}`)),
    compiled,
  ]);

  // 4. The JADE platform: its HTTP MTP on loopback, `asker` asking echo@caxton, `pong` answering.
  const jadeIntra = await holdPort();
  const jadeIntraPort = jadeIntra.port;
  await Promise.all([jadeMtp.release(), jadeIntra.release()]);
  const jade = start('jade', 'java', ['-cp', `${jar}${path.delimiter}${classes}`, 'jade.Boot',
    '-mtps', `jade.mtp.http.MessageTransportProtocol(${jadeAcc})`, '-port', String(jadeIntraPort), '-local-host', '127.0.0.1',
    // JADE's intra-platform port has no authentication: loopback only, or anyone who can reach the
    // machine could join this platform as a container while the demo runs.
    '-jade_imtp_leap_JICP_JICPServer_acceptlocalhostonly', 'true',
    '-platform-id', JADE_PLATFORM, '-jade_core_messaging_MessageManager_enablemultipledelivery', 'false',
    '-agents', `pong:Pong;asker:AskCaxton(echo@caxton,${capability},hello from JADE)`,
  ], { cwd: tmp, show: (l) => /^(ASK-CAXTON|PONG)-/.test(l), failOn: /Error installing MTP|BindException/ }); // JADE writes APDescription.txt and MTPs-*.txt into its working directory
  say(`jade:        platform ${JADE_PLATFORM}, ACC ${jadeAcc}, intra-platform port 127.0.0.1:${jadeIntraPort}`);

  // Round trip 1: JADE → Caxton echo → inform back to JADE.
  await lineFrom(jade, /^ASK-CAXTON-GOT INFORM from echo@caxton /, 'round trip 1 (JADE → Caxton echo → inform)');
  say(`round trip 1 (JADE asker → echo@caxton → inform back): OK`);

  // Round trip 2: the operator asks caxton's caller, which asks pong@jade-demo; the answer comes back.
  await lineFrom(jade, /^PONG-READY /, 'the JADE pong agent');
  const answer = await caxton(['send', 'caller', 'request', 'hello from Caxton', '--wait', '--timeout', String(STEP_TIMEOUT_MS / 1000), ...conn],
    'round trip 2 (caller → JADE pong → inform)');
  for (const line of answer.split('\n')) if (line.trim() !== '') say(`  [caxton send] ${line}`);
  if (!answer.includes(`pong@${JADE_PLATFORM} answered inform: pong: hello from Caxton`)) {
    throw new Error('round trip 2: the caller did not pass on the JADE pong\'s inform', { cause: 'see caxton send\'s output above' });
  }
  await lineFrom(jade, /^PONG-GOT REQUEST from caller@caxton /, 'the JADE pong receiving the caller\'s request');
  say(`round trip 2 (caller@caxton → pong@${JADE_PLATFORM} → inform back): OK`);
}

let exitCode = 0;
try {
  await main();
  say('both round trips seen');
} catch (e) {
  exitCode = interrupted ? 130 : 1;
  // Interrupted, the step that was waiting fails because its process was stopped: not news.
  if (!interrupted) {
    process.stderr.write(`error: ${e.message}\n`);
    if (typeof e.cause === 'string') process.stderr.write(`  hint: ${e.cause}\n`);
    if (e.output) process.stderr.write(`--- ${e.output.name} printed:\n${e.output.out.slice(-4000)}\n`);
  }
} finally {
  await cleanup();
}
say('stopped: JADE, caxton serve, caxton tail');
process.exit(exitCode);
