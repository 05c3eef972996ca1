/**
 * Mailbox micro-benchmark (`npm run bench -- mailbox [--ops 2000000] [--rounds 9]`), decision 1920:
 * what one delivery costs in an agent's mailbox on the dispatch loop's path — push, peekAt(0),
 * handOff, settle — in steady state with 64 waiting over 4 senders. Pure CPU, no I/O, no node.
 *
 * normal_only: every message without a priority (the common case; must cost what it did before
 * priorities). mixed: a tenth high, a tenth low. With CAXTON_MAILBOX_BASELINE naming another
 * build's compiled bus/mailbox.js (e.g. main's), that build's mailbox is measured in the same
 * process, interleaved round by round, for the normal-only case: the before/after of the change.
 * Medians of --rounds rounds (default 9) of --ops deliveries each.
 */
import { PRIORITY_PARAM, type Delivery } from '@caxton/core';
import { report } from './lib-output.js';

interface MailboxLike {
  push(d: Delivery): void;
  peekAt(i: number): Delivery | undefined;
  handOff(d: Delivery): boolean;
  settle(): void;
}
type MailboxClass = new (capacity: number) => MailboxLike;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`--${name} takes a positive whole number`);
  return value;
}

const OPS = arg('ops', 2_000_000);
const ROUNDS = arg('rounds', 9);
const SENDERS = ['a@caxton', 'b@caxton', 'c@caxton', 'd@caxton'];
const WAITING = 64;

function pool(mixed: boolean): Delivery[] {
  return Array.from({ length: 1024 }, (_, i) => {
    const priority = !mixed ? undefined : i % 10 === 0 ? 'high' : i % 10 === 5 ? 'low' : undefined;
    return {
      id: `m${i}#echo`,
      messageId: `m${i}`,
      receiver: 'echo@caxton',
      acceptedAt: 0,
      message: {
        performative: 'request',
        sender: { name: SENDERS[i % SENDERS.length]! },
        receivers: [{ name: 'echo@caxton' }],
        content: `${i}`,
        ...(priority === undefined ? {} : { userParams: { [PRIORITY_PARAM]: priority } }),
      },
    } satisfies Delivery;
  });
}

/** ns per delivery: push one, hand off the head (peekAt(0), handOff, settle), steady state. */
function run(Box: MailboxClass, deliveries: readonly Delivery[]): number {
  const box = new Box(1_000_000);
  for (let i = 0; i < WAITING; i++) box.push(deliveries[i]!);
  const mask = deliveries.length - 1;
  const start = process.hrtime.bigint();
  for (let i = 0; i < OPS; i++) {
    box.push(deliveries[(i + WAITING) & mask]!);
    const d = box.peekAt(0)!;
    box.handOff(d);
    box.settle();
  }
  return Number(process.hrtime.bigint() - start) / OPS;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// The compiled mailbox of this build, beside this bench's output (bench/dist → runtime/dist).
const { Mailbox } = (await import(new URL('../../runtime/dist/src/bus/mailbox.js', import.meta.url).href)) as { Mailbox: MailboxClass };
const baselinePath = process.env.CAXTON_MAILBOX_BASELINE;
const Baseline = baselinePath ? ((await import(new URL(baselinePath, 'file://').href)) as { Mailbox: MailboxClass }).Mailbox : undefined;

const normal = pool(false);
const mixed = pool(true);
const samples = { normal: [] as number[], mixed: [] as number[], baseline: [] as number[] };
// Normal-only first (interleaved with the baseline), mixed after: messages of other shapes seen by
// the same code make its property reads polymorphic, which would charge the mixed case's cost to
// the normal one (a node sees both, but the before/after is about the code, not the shapes).
for (let r = 0; r < ROUNDS + 1; r++) {
  // Which goes first alternates: neither build always runs on a machine the other just warmed.
  const first = r % 2 === 0;
  const b0 = Baseline && !first ? run(Baseline, normal) : undefined;
  const n = run(Mailbox, normal);
  const b = Baseline && first ? run(Baseline, normal) : b0;
  if (r === 0) continue; // warm-up
  samples.normal.push(n);
  if (b !== undefined) samples.baseline.push(b);
}
for (let r = 0; r < ROUNDS + 1; r++) {
  const m = run(Mailbox, mixed);
  if (r > 0) samples.mixed.push(m);
}
const note = `median of ${ROUNDS} rounds × ${OPS.toLocaleString('en-US')} deliveries; 64 waiting over 4 senders; push + peekAt(0) + handOff + settle`;
report({ bench: 'mailbox', metric: 'mailbox_normal_only_ns_per_delivery', value: median(samples.normal), unit: 'ns', note });
report({
  bench: 'mailbox',
  metric: 'mailbox_mixed_priorities_ns_per_delivery',
  value: median(samples.mixed),
  unit: 'ns',
  note: 'a tenth high, a tenth low; the rest as normal_only',
});
if (Baseline) {
  report({
    bench: 'mailbox',
    metric: 'mailbox_baseline_normal_only_ns_per_delivery',
    value: median(samples.baseline),
    unit: 'ns',
    note: 'CAXTON_MAILBOX_BASELINE, measured interleaved with normal_only',
  });
}
