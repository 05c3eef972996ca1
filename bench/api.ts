/**
 * Management API benchmark (`npm run bench -- api [--samples 3] [--clients 32] [--seconds 10]`),
 * against real `caxton serve` child processes on fresh data directories (embedded storage, default
 * fsync), on whatever else the machine is doing.
 *
 * deploy_ms_*: `caxton deploy <project dir>` as a separate process, spawn to exit — what a user
 *   waits for. "first": a fresh copy of the example (the CLI compiles it) on a fresh node (the node
 *   has never prepared that component: decode, instrument, compile). "cached": the same project
 *   again under a new name: the build is reused and the node finds the prepared artifact by digest.
 *   "prebuilt_first": the example's built .wasm on a fresh node, to separate the node's share
 *   from the build's. Medians over --samples nodes (first, prebuilt) and 3 deploys per node (cached).
 * send_rpc_*: SendMessage latency under load: --clients concurrent clients (one gRPC channel each,
 *   the CLI's client) in a closed loop for --seconds against an AssemblyScript echo agent, which
 *   answers each message (so the bus carries two messages per call). p50/p99 of the call as the
 *   client sees it, acknowledged calls per second, and what echo handled per second meanwhile.
 *   Every call started in the window is accounted for (send_rpc_requests_sent / _answered / _late
 *   / _lost, decision 1204): calls in flight at its end are late and keep their latency; refused
 *   calls (a full mailbox) and calls never acknowledged are lost, infinitely slow in the percentiles.
 */
import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CaxtonClient } from '@caxton/runtime';
import { builtArtifactPath } from './lib-artifacts.js';
import { drainAndSettle } from './lib-drain.js';
import { RequestLedger, accountSummary, accountingResults, percentileResult } from './lib-latency.js';
import { percentile, report } from './lib-output.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CAXTON = path.join(ROOT, 'cli', 'bin', 'caxton.js');

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} takes a positive number`);
  return value;
}

const SAMPLES = arg('samples', 3);
const CLIENTS = arg('clients', 32);
const SECONDS = arg('seconds', 10);
const CACHED_PER_NODE = 3;
/** After the send window, how long to wait for calls still in flight before counting them lost. */
const DRAIN_MS = 10_000;

/** The user's environment without the developer's CAXTON_* settings. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CAXTON_')));
}

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function runCaxton(args: string[], cwd: string): Promise<Exit> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [CAXTON, ...args], { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - t0 }));
  });
}

async function must(args: string[], cwd: string): Promise<Exit> {
  const r = await runCaxton(args, cwd);
  if (r.code !== 0) throw new Error(`caxton ${args.join(' ')} exited ${r.code}:\n${r.stderr}`);
  return r;
}

interface Node {
  address: string;
  dataDir: string;
  conn: string[];
  stop(): Promise<void>;
}

/** `caxton serve --api-port 0 --json` on a fresh data dir; resolves once it printed where it listens. */
async function startNode(work: string): Promise<Node> {
  const dataDir = await mkdtemp(path.join(work, 'node-'));
  const child = spawn(process.execPath, [CAXTON, 'serve', '--json', '--data-dir', dataDir, '--api-port', '0'], {
    cwd: work,
    env: cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const address = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      const m = /"event":"serving","address":"([^"]+)"/.exec(out);
      if (m) resolve(m[1]!);
    });
    void exited.then(() => reject(new Error(`caxton serve exited:\n${stderr}`)));
  });
  return {
    address,
    dataDir,
    conn: ['--addr', address, '--data-dir', dataDir],
    async stop() {
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A new user's copy of an example project (no build output); JS projects get @caxton/sdk-js linked in. */
async function freshProject(example: string, into: string): Promise<string> {
  const dest = await mkdtemp(path.join(into, `${path.basename(example)}-`));
  await cp(path.join(ROOT, 'examples', example), dest, { recursive: true, filter: (src) => !/[/\\](build|node_modules)$/.test(src) });
  const pkg = JSON.parse(await readFile(path.join(dest, 'package.json'), 'utf8')) as { caxton?: { language?: string } };
  if (pkg.caxton?.language !== 'assemblyscript') {
    await mkdir(path.join(dest, 'node_modules', '@caxton'), { recursive: true });
    await symlink(path.join(ROOT, 'sdk-js'), path.join(dest, 'node_modules', '@caxton', 'sdk-js'), 'dir');
  }
  return dest;
}

const median = (xs: number[]): number => percentile(xs, 50);
const round = (x: number, digits = 0): number => Number(x.toFixed(digits));
const spread = (xs: number[]): string => `n=${xs.length}, min ${round(Math.min(...xs))}, max ${round(Math.max(...xs))}`;

async function deployBench(work: string, lang: 'as' | 'js', example: string): Promise<void> {
  const first: number[] = [];
  const prebuilt: number[] = [];
  const cached: number[] = [];
  for (let s = 0; s < SAMPLES; s++) {
    // The node's side alone: an already built .wasm on a node that has never seen it.
    const cold = await startNode(work);
    try {
      const wasm = await builtArtifactPath(example);
      prebuilt.push((await must(['deploy', wasm, '--name', `${lang}-prebuilt`, '-q', ...cold.conn], work)).ms);
    } finally {
      await cold.stop();
    }
    const node = await startNode(work);
    try {
      const project = await freshProject(example, work);
      const r = await must(['deploy', project, '--name', `${lang}-first`, '-q', ...node.conn], work);
      if (/up to date/.test(r.stderr)) throw new Error('the first deploy reused a build; the project copy was not fresh');
      first.push(r.ms);
      for (let k = 0; k < CACHED_PER_NODE; k++)
        cached.push((await must(['deploy', project, '--name', `${lang}-cached-${k}`, '-q', ...node.conn], work)).ms);
    } finally {
      await node.stop();
    }
  }
  const what = lang === 'as' ? 'AssemblyScript echo' : 'JavaScript (QuickJS) echo';
  report({
    bench: 'api',
    metric: `deploy_ms_${lang}_first`,
    value: round(median(first)),
    unit: 'ms',
    note: `${what}: caxton deploy <dir>, spawn to exit; build from source + node prepares the component (${spread(first)})`,
  });
  report({
    bench: 'api',
    metric: `deploy_ms_${lang}_prebuilt_first`,
    value: round(median(prebuilt)),
    unit: 'ms',
    note: `${what}: caxton deploy <built .wasm> on a fresh node; no build, node prepares the component (${spread(prebuilt)})`,
  });
  report({
    bench: 'api',
    metric: `deploy_ms_${lang}_cached`,
    value: round(median(cached)),
    unit: 'ms',
    note: `${what}: same project again; build reused, artifact prepared already (${spread(cached)})`,
  });
}

/**
 * Closed-loop senders outrun one echo agent: the API accepts faster than echo handles, and after
 * ~10,000 pending messages its mailbox is full and further sends are refused (cheaply), which would
 * turn the latency figures into those of refusals. So the warm-up's backlog is drained first, and
 * the measured window ends after --seconds or at the first "mailbox full", whichever comes first;
 * echo's own rate over the window is reported next to the API's.
 */
async function sendBench(work: string): Promise<void> {
  const node = await startNode(work);
  const clients: CaxtonClient[] = [];
  try {
    await must(['deploy', await builtArtifactPath('as-echo'), '--name', 'echo', '-q', ...node.conn], work);
    const token = (await readFile(path.join(node.dataDir, 'auth-token'), 'utf8')).trim();
    for (let i = 0; i < CLIENTS; i++) clients.push(await CaxtonClient.connect({ address: node.address, token }));
    const admin = clients[0]!;

    // Every call started in the measured window, by id: answered, late (acknowledged after the
    // window closed) or lost (refused or never acknowledged), decision 1204.
    const ledger = new RequestLedger<string>();
    const otherErrors: string[] = [];
    let phase: 'warm-up' | 'paused' | 'measuring' | 'stopped' = 'warm-up';
    let resume!: () => void;
    let resumed = new Promise<void>((r) => (resume = r));
    let windowEnd!: () => void;
    const windowEnded = new Promise<void>((r) => (windowEnd = r));
    let cutByFullMailbox = false;
    const loop = async (client: CaxtonClient, id: number): Promise<void> => {
      for (let n = 0; phase !== 'stopped'; n++) {
        if (phase === 'paused') {
          await resumed;
          continue;
        }
        const measured = phase === 'measuring';
        const key = `${id}/${n}`;
        if (measured) ledger.send(key, performance.now());
        try {
          await client.send({ structured: { performative: 'request', receivers: [{ name: 'echo' }], content: `ping ${key}` } });
          if (measured) ledger.answer(key, performance.now());
        } catch (err) {
          if (measured) ledger.refuse(key);
          const message = (err as Error).message;
          if (/mailbox .* is full/.test(message)) {
            if (phase === 'measuring') cutByFullMailbox = true;
            windowEnd();
          } else if (measured) otherErrors.push(message);
        }
      }
    };
    const loops = clients.map((c, i) => loop(c, i));
    await new Promise((r) => setTimeout(r, 2000)); // warm-up: connections, JIT, the log's first segment
    phase = 'paused';
    const echo = async () => admin.getAgent('echo');
    for (let depth = (await echo()).mailboxDepth; depth > 0; depth = (await echo()).mailboxDepth)
      await new Promise((r) => setTimeout(r, 100));

    const handledBefore = (await echo()).messagesHandled;
    const t0 = performance.now();
    phase = 'measuring';
    resume();
    await Promise.race([windowEnded, new Promise((r) => setTimeout(r, SECONDS * 1000))]);
    phase = 'paused';
    ledger.closeWindow(performance.now());
    resumed = new Promise<void>((r) => (resume = r));
    const elapsed = (performance.now() - t0) / 1000;
    const after = await echo();
    phase = 'stopped';
    resume();
    // The calls in flight at the window's end are late, not dropped; a call that never comes back
    // within the drain is lost (closing the clients below ends it).
    const { account, drainMs } = await drainAndSettle(ledger, DRAIN_MS, () => performance.now());
    // A call never acknowledged would hold its loop forever: then the loops end when the clients close.
    if (account.lost === account.refused) await Promise.all(loops);
    // With the senders quiet, how fast does echo work off its backlog? (Its rate without the API
    // competing for the node's CPU.)
    const drainStart = performance.now();
    let drained = after;
    while (drained.mailboxDepth > 0) {
      await new Promise((r) => setTimeout(r, 100));
      drained = await echo();
    }
    const drainSeconds = (performance.now() - drainStart) / 1000;

    const window = `${round(elapsed, 1)} s${cutByFullMailbox ? " (cut short: echo's mailbox filled up)" : ''}`;
    const refusals = account.refused > 0 ? `, ${account.refused} refused${cutByFullMailbox ? ' (mailbox full)' : ''}` : '';
    const note =
      `${CLIENTS} clients, ${window}; calls: ${accountSummary(account)}${refusals} (drain ${Math.round(drainMs)} ms)` +
      `${otherErrors.length ? `, ${otherErrors.length} errors other than a full mailbox (${otherErrors[0]})` : ''}; node, echo and clients share the machine`;
    report(percentileResult(account, { bench: 'api', metric: 'send_rpc_p50_ms', p: 50, unit: 'ms', digits: 2, note }));
    report(percentileResult(account, { bench: 'api', metric: 'send_rpc_p99_ms', p: 99, unit: 'ms', digits: 2, note }));
    for (const r of accountingResults(
      'api',
      'send_rpc_',
      account,
      `SendMessage calls started in the ${round(elapsed, 1)} s window by ${CLIENTS} closed-loop clients`,
    ))
      report(r);
    report({
      bench: 'api',
      metric: 'send_rpc_msgs_per_s',
      value: round(account.answered / elapsed),
      unit: 'msg/s',
      note: 'SendMessage calls acknowledged within the window, per second',
    });
    report({
      bench: 'api',
      metric: 'send_rpc_echo_handled_per_s',
      value: round((after.messagesHandled - handledBefore) / elapsed),
      unit: 'msg/s',
      note: `what the echo agent handled (and answered) per second in that window; ${after.mailboxDepth} still queued at its end`,
    });
    if (after.mailboxDepth >= 1000) {
      report({
        bench: 'api',
        metric: 'send_rpc_echo_drain_per_s',
        value: round((drained.messagesHandled - after.messagesHandled) / drainSeconds),
        unit: 'msg/s',
        note: `echo working off the ${after.mailboxDepth} left over once the senders stopped (${round(drainSeconds, 1)} s)`,
      });
    }
  } finally {
    for (const c of clients) c.close();
    await node.stop();
  }
}

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(tmpdir(), 'caxton-bench-api-'));
  try {
    await deployBench(work, 'as', 'as-echo');
    await deployBench(work, 'js', 'js-echo');
    await sendBench(work);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await main();
