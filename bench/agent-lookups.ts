/**
 * Agent-name lookups micro-benchmark (`npm run bench -- agent-lookups [--ops 400000] [--rounds 7]
 * [--lookups 24] [--agents 128]`), decision 2080: the most that interning agents as slot numbers
 * could save per message on the bus's hot path. Pure CPU, no I/O, no node.
 *
 * Per message, `--lookups` lookups keyed by agent name (the receiver's or the sender's) spread over
 * six tables, as the bus makes them along its path (mailboxes, shares, ready/busy, routing,
 * breakers, chains): once as today (string-keyed `Map`s), once as slots would make them (each name
 * interned once per message, then arrays indexed by the slot). The names of each message are fresh
 * string objects, as after the structured clone of the shard hand-off (their hash is not cached
 * yet), made before timing; `--cached-names` uses the tables' own strings instead (hash cached). Medians of `--rounds` rounds, the two variants interleaved and
 * alternating which goes first; CPU time (`process.cpuUsage`), not wall time: the machine is shared.
 */
import { report } from './lib-output.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`--${name} takes a positive whole number`);
  return value;
}

const OPS = arg('ops', 400_000);
const ROUNDS = arg('rounds', 7);
const LOOKUPS = arg('lookups', 24);
const AGENTS = arg('agents', 128);
const TABLES = 6;
/** `--cached-names`: the names are the tables' own strings (hash cached), as for names the bus made itself. */
const CACHED = process.argv.includes('--cached-names');

// Qualified names shaped like the bench's agents (bench/bus.ts: pinger/echo pairs).
const names = Array.from({ length: AGENTS }, (_, i) => `${i % 2 === 0 ? 'pinger' : 'echo'}-${i >> 1}@caxton-bench-node`);
interface Entry {
  n: number;
}
const byName = Array.from({ length: TABLES }, (_, t) => new Map(names.map((n, i) => [n, { n: i + t }] as [string, Entry])));
const slotOf = new Map(names.map((n, i) => [n, i]));
const bySlot = Array.from({ length: TABLES }, (_, t) => names.map((_n, i): Entry => ({ n: i + t })));

/** One message's receiver and sender, as fresh strings (a structured clone, as the shard hand-off makes). */
function messages(): [string, string][] {
  const pairs = Array.from({ length: OPS }, (_, i): [string, string] => [names[(i * 7) % AGENTS]!, names[(i * 7 + 1) % AGENTS]!]);
  return CACHED ? pairs : structuredClone(pairs);
}

/** CPU time of this thread since `start`, ns: on a shared machine wall time charges the waits to the loop. */
function cpuNs(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) * 1000;
}

function viaNames(msgs: [string, string][]): number {
  let sum = 0;
  const start = process.cpuUsage();
  for (const [receiver, sender] of msgs) {
    for (let j = 0; j < LOOKUPS; j++) sum += byName[j % TABLES]!.get(j % 3 === 0 ? sender : receiver)!.n;
  }
  const ns = cpuNs(start) / OPS;
  if (sum <= 0) throw new Error('no lookup hit');
  return ns;
}

function viaSlots(msgs: [string, string][]): number {
  let sum = 0;
  const start = process.cpuUsage();
  for (const [receiver, sender] of msgs) {
    // Interned once at the edge: one string-keyed lookup per name, then indexes.
    const r = slotOf.get(receiver)!;
    const s = slotOf.get(sender)!;
    for (let j = 0; j < LOOKUPS; j++) sum += bySlot[j % TABLES]![j % 3 === 0 ? s : r]!.n;
  }
  const ns = cpuNs(start) / OPS;
  if (sum <= 0) throw new Error('no lookup hit');
  return ns;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const samples = { names: [] as number[], slots: [] as number[] };
for (let r = 0; r < ROUNDS + 1; r++) {
  const a = messages();
  const b = messages();
  let n: number;
  let s: number;
  if (r % 2 === 0) {
    n = viaNames(a);
    s = viaSlots(b);
  } else {
    s = viaSlots(b);
    n = viaNames(a);
  }
  if (r === 0) continue; // warm-up
  samples.names.push(n);
  samples.slots.push(s);
}
const note = `median of ${ROUNDS} rounds × ${OPS.toLocaleString('en-US')} messages; ${LOOKUPS} lookups per message by receiver or sender name over ${TABLES} tables, ${AGENTS} agents, names ${CACHED ? "the tables' own strings (hash cached)" : 'fresh per message'}; CPU time`;
const names_ = median(samples.names);
const slots = median(samples.slots);
report({ bench: 'agent-lookups', metric: 'by_name_ns_per_message', value: Math.round(names_), unit: 'ns', note });
report({
  bench: 'agent-lookups',
  metric: 'by_slot_ns_per_message',
  value: Math.round(slots),
  unit: 'ns',
  note: 'the same lookups with each name interned once per message, then arrays indexed by the slot',
});
report({
  bench: 'agent-lookups',
  metric: 'slots_save_ns_per_message',
  value: Math.round(names_ - slots),
  unit: 'ns',
  note: "what slot numbers save per message at this count of lookups, tables warm in cache (the bus's own profile bounds the cold case, decision 2080)",
});
