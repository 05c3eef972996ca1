/**
 * One row per agent language (`npm run bench -- languages`): the echo example of each language
 * (examples/<prefix>-echo, built first by scripts/build-examples.mjs) measured the same way —
 *
 * - component_bytes: the built component;
 * - cold_build_ms: `buildAgent` on a fresh copy of the project (no reuse), toolchain installed;
 * - prepare_ms: Engine.loadArtifact on an empty cache (decode, check, transpile, instrument, compile);
 * - instantiate_p50_us: a fresh instance + init from the cached artifact;
 * - handle_p50_us: one metered echo message, in-thread;
 * - rss_per_agent_kib: idle agents in a child process, RSS growth per agent;
 * - fuel_per_message: the echo's fuel (identical across runs: metering is deterministic).
 *
 * A language whose example is not built is reported on stderr and left out, never guessed.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildAgent } from '@caxton/toolchain';
import { echoWork } from './lib-echo-work.js';
import { childResult } from './lib-child-result.js';
import { AgentSandbox, Engine, Sandbox } from '@caxton/sandbox';
import { AGENT_LIMIT_TABLE } from '@caxton/core';
import type { BenchResult } from './lib-output.js';
import { percentile, report } from './lib-output.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SELF = fileURLToPath(import.meta.url);
const LANGUAGES: ReadonlyArray<{ language: string; example: string }> = [
  { language: 'assemblyscript', example: 'as-echo' },
  { language: 'javascript', example: 'js-echo' },
  { language: 'rust', example: 'rust-echo' },
  { language: 'c', example: 'c-echo' },
  { language: 'go', example: 'go-echo' },
  { language: 'python', example: 'py-echo' },
];
const TARGETS: Record<string, Partial<Record<string, string>>> = {
  rust: { instantiate_p50_us: '<= 200', handle_p50_us: '<= 5', rss_per_agent_kib: '<= 256' },
  c: { instantiate_p50_us: '<= 200', handle_p50_us: '<= 5', rss_per_agent_kib: '<= 256' },
};

const env = { directory: () => ({ version: 0, byType: {} }), clock: Date.now, newId: () => 'bench-id' };

function artifactOf(example: string): string | undefined {
  const dir = join(ROOT, 'examples', example, 'build');
  if (!existsSync(dir)) return undefined;
  const index = join(ROOT, 'examples', 'build', 'index.json');
  if (existsSync(index)) {
    const entry = (JSON.parse(readFileSync(index, 'utf8')) as Record<string, { artifact: string }>)[example];
    if (entry) return join(ROOT, entry.artifact);
  }
  return undefined;
}

/**
 * Idle agents in a child process (a clean heap): RSS growth per agent, as the slope between N and
 * 2N agents, so one-time costs (compiled code, heap growth, the first instance's warm-up) that made
 * a single before/after difference negative for agents of a few KiB cancel out.
 */
async function rssChild(artifactPath: string, count: number): Promise<void> {
  const bytes = new Uint8Array(readFileSync(artifactPath));
  const cache = mkdtempSync(join(tmpdir(), 'caxton-bench-lang-rss-'));
  try {
    const sandbox = new Sandbox({ engine: new Engine({ cacheDir: cache }) });
    const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
    const settledRss = (): number => {
      for (let i = 0; i < 3; i++) gc();
      return process.memoryUsage().rss;
    };
    for (let i = 0; i < count; i++) await sandbox.deploy({ name: `warm-${i}@bench`, artifact: bytes });
    const before = settledRss();
    for (let i = 0; i < count; i++) await sandbox.deploy({ name: `idle-${i}@bench`, artifact: bytes });
    const after = settledRss();
    const probe = sandbox.run(echoWork(`idle-${count - 1}@bench`, 1));
    process.stdout.write(`${JSON.stringify({ rssKiB: (after - before) / count / 1024, ok: probe.status })}\n`);
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}

async function measure(language: string, example: string, artifactPath: string): Promise<BenchResult[]> {
  const rows: BenchResult[] = [];
  const row = (metric: string, value: number, unit: string, note?: string): void => {
    const target = TARGETS[language]?.[metric];
    rows.push({
      bench: 'languages',
      metric: `${language}.${metric}`,
      value,
      unit,
      ...(target ? { target } : {}),
      ...(note ? { note } : {}),
    });
  };
  const bytes = new Uint8Array(readFileSync(artifactPath));
  row('component_bytes', bytes.length, 'B', `examples/${example}`);

  const copy = mkdtempSync(join(tmpdir(), `caxton-bench-lang-${language}-`));
  try {
    cpSync(join(ROOT, 'examples', example), join(copy, example), {
      recursive: true,
      filter: (s) => !/[/\\](build|node_modules|target|\.caxton)$/.test(s),
    });
    const t = performance.now();
    await buildAgent(join(copy, example), { reuse: false });
    row('cold_build_ms', Math.round(performance.now() - t), 'ms', 'a fresh copy of the project, toolchain installed, no reuse');
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }

  const cache = mkdtempSync(join(tmpdir(), 'caxton-bench-lang-cache-'));
  try {
    const engine = new Engine({ cacheDir: cache });
    let t = performance.now();
    const artifact = await engine.loadArtifact(bytes);
    row('prepare_ms', Math.round(performance.now() - t), 'ms', `${artifact.manifest.path} path; empty cache`);
    const n = artifact.manifest.path === 'direct' ? 2000 : 100;
    const samples: number[] = [];
    for (let i = 0; i < n; i++) {
      t = performance.now();
      const a = new AgentSandbox({ name: `inst-${i}@bench`, artifact: { digest: artifact.digest } }, artifact, env);
      a.start();
      samples.push((performance.now() - t) * 1000);
      a.stop();
    }
    row(
      'instantiate_p50_us',
      Number(percentile(samples.slice(Math.floor(n / 10)), 50).toFixed(1)),
      'us',
      'instance + init from the cached artifact',
    );

    const sandbox = new Sandbox({ engine });
    // The default limits: the loop calls the echo back to back, far faster than real time, and each
    // answer passes on the message it handles, which no send quota counts (decision 2173).
    await sandbox.deploy({ name: 'echo@bench', artifact: bytes });
    const calls = artifact.manifest.path === 'direct' ? 20_000 : 2_000;
    const handle: number[] = [];
    const fuel: number[] = [];
    let measuredFrom = 0;
    for (let i = 0; i < calls * 1.2; i++) {
      t = performance.now();
      if (i === calls * 0.2) measuredFrom = t;
      const r = sandbox.run(echoWork('echo@bench', i));
      if (i >= calls * 0.2) handle.push((performance.now() - t) * 1000);
      if (r.status !== 'ok') throw new Error(`${language} echo answered ${r.status}: ${JSON.stringify(r).slice(0, 300)}`);
      // The echo ignores a refused send: its answer missing is how a quota would show.
      if (r.outbox.length !== 1) throw new Error(`${language} echo sent ${r.outbox.length} messages for message ${i}, not its one answer`);
      fuel.push(r.fuelUsed);
    }
    const sendsPerS = Math.round(handle.length / ((performance.now() - measuredFrom) / 1000));
    row(
      'handle_p50_us',
      Number(percentile(handle, 50).toFixed(2)),
      'us',
      `metered echo, in-thread; p99 ${percentile(handle, 99).toFixed(1)} us`,
    );
    row(
      'agent_max_msgs_per_s',
      sendsPerS,
      'msgs/s',
      `one echo agent's answers a second, back to back in-thread, under the default limits (sendsPerSecond ${AGENT_LIMIT_TABLE.sendsPerSecond.default.toLocaleString('en-US')}: none refused)`,
    );
    // Per message, fuel is deterministic across runs (tests prove it); within one instance it
    // varies with the guest's own housekeeping (a GC every so many messages), hence p50 and max.
    row('fuel_per_message_p50', percentile(fuel, 50), 'fuel', `max ${Math.max(...fuel)} (the guest's periodic housekeeping)`);
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
  const count = bytes.length > 4_000_000 ? 20 : bytes.length > 500_000 ? 200 : 2000;
  const r = await childResult(SELF, ['--child', 'rss', artifactPath, String(count)], 300_000);
  row(
    'rss_per_agent_kib',
    Number(Number(r['rssKiB']).toFixed(1)),
    'KiB',
    `slope from ${count} to ${2 * count} idle agents in one process; the last answers: ${r['ok']}`,
  );
  return rows;
}

export async function run(): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  for (const { language, example } of LANGUAGES) {
    const artifact = artifactOf(example);
    if (!artifact) {
      process.stderr.write(`languages: examples/${example} is not built (node scripts/build-examples.mjs); ${language} left out\n`);
      continue;
    }
    try {
      for (const r of await measure(language, example, artifact)) {
        report(r);
        out.push(r);
      }
    } catch (err) {
      process.stderr.write(`languages: ${language} failed: ${(err as Error).message}\n`);
    }
  }
  return out;
}

const [flag, mode, a1, a2] = process.argv.slice(2);
if (process.argv[1] === SELF) {
  if (flag === '--child' && mode === 'rss') await rssChild(a1!, Number(a2));
  else await run();
}
