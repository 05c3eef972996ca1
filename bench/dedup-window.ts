/**
 * Dedup-window micro-benchmark (`npm run bench -- dedup-window [--ops 600000] [--rounds 7]`),
 * decision 2002: what the logs' window of the last 100,000 completed delivery ids costs per
 * message in steady state — one `has` of a new id (a send asks whether it was completed: a miss)
 * and one `add` of it (its completion), evicting the oldest. Pure CPU, no I/O, no node.
 *
 * With CAXTON_DEDUP_BASELINE naming another build's compiled bus/embedded/dedup-window.js (main's
 * Set behind a counting filter, decision 2000), that window is measured in the same process,
 * interleaved round by round: the before/after of the change. Medians of --rounds rounds.
 */
import { report } from './lib-output.js';

interface WindowLike {
  has(id: string): boolean;
  add(id: string): unknown;
}
type WindowClass = new (capacity: number) => WindowLike;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`--${name} takes a positive whole number`);
  return value;
}

const OPS = arg('ops', 600_000);
const ROUNDS = arg('rounds', 7);
const WINDOW = 100_000;

// Ids shaped like the bus's (a derived message id, '>', the receiver), made before timing.
const ids = Array.from({ length: OPS }, (_, i) => `d-${(Math.imul(i, 0x9e3779b1) >>> 0).toString(36)}${i.toString(36)}>pong-${i % 64}`);
const filler = Array.from({ length: WINDOW }, (_, i) => `f-${i.toString(36)}>pong-${i % 64}`);

/** ns per message: has (a miss) + add (evicting the oldest), the window full from the start. */
function run(Window: WindowClass): number {
  const w = new Window(WINDOW);
  for (const id of filler) w.add(id);
  let hits = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < OPS; i++) {
    if (w.has(ids[i]!)) hits += 1;
    w.add(ids[i]!);
  }
  const ns = Number(process.hrtime.bigint() - start) / OPS;
  if (hits !== 0) throw new Error(`${hits} new ids were found in the window`);
  return ns;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// The compiled window of this build, beside this bench's output (bench/dist → runtime/dist).
const { IdWindow } = (await import(new URL('../../runtime/dist/src/log/id-window.js', import.meta.url).href)) as { IdWindow: WindowClass };
const baselinePath = process.env.CAXTON_DEDUP_BASELINE;
const Baseline = baselinePath
  ? ((await import(new URL(baselinePath, 'file://').href)) as { DedupWindow: WindowClass }).DedupWindow
  : undefined;

const samples = { window: [] as number[], baseline: [] as number[] };
for (let r = 0; r < ROUNDS + 1; r++) {
  // Which goes first alternates: neither build always runs on a machine the other just warmed.
  const first = r % 2 === 0;
  const b0 = Baseline && !first ? run(Baseline) : undefined;
  const n = run(IdWindow);
  const b = Baseline && first ? run(Baseline) : b0;
  if (r === 0) continue; // warm-up
  samples.window.push(n);
  if (b !== undefined) samples.baseline.push(b);
}
const note = `median of ${ROUNDS} rounds × ${OPS.toLocaleString('en-US')} messages; a full window of ${WINDOW.toLocaleString('en-US')} ids; has (a miss) + add (evicting the oldest)`;
report({ bench: 'dedup-window', metric: 'dedup_window_ns_per_message', value: Math.round(median(samples.window)), unit: 'ns', note });
if (Baseline) {
  report({
    bench: 'dedup-window',
    metric: 'dedup_window_baseline_ns_per_message',
    value: Math.round(median(samples.baseline)),
    unit: 'ns',
    note: 'CAXTON_DEDUP_BASELINE, measured interleaved with dedup_window_ns_per_message',
  });
}
