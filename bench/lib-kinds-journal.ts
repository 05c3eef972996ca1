/**
 * Reading the journals of bench/lib-kinds-node-child.ts after a `density --cluster` run. Pure: the
 * journals' text in, what they show out — which answers each request got, where every key was in
 * memory and when, and from that the run's checks (counts, overlaps across nodes, keys moved off a
 * killed node, how long until the first of them answered again).
 */

/** One node's journal. */
export interface Journal {
  /** in-reply-to → every answer delivered for it here, in order (a re-handled request answers again). */
  answers: Map<string, { at: number; content: string }[]>;
  /** in-reply-to → the platform failures delivered for it here (their X-caxton-failure kinds). */
  failures: Map<string, string[]>;
  /** instance → [came into memory, left memory] intervals in order; `left` is Infinity while still in memory. */
  residency: Map<string, [number, number][]>;
}

/**
 * Parses one journal. `endsAt`: when the node was killed — its instances still in memory then left
 * memory at that moment (nothing of a killed process runs after its exit).
 */
export function parseJournal(text: string, endsAt?: number): Journal {
  const j: Journal = { answers: new Map(), failures: new Map(), residency: new Map() };
  for (const line of text.split('\n')) {
    const sp1 = line.indexOf(' ');
    const sp2 = line.indexOf(' ', sp1 + 1);
    if (sp1 < 0 || sp2 < 0) continue;
    const type = line.slice(0, sp1);
    const at = Number(line.slice(sp1 + 1, sp2));
    const sp3 = line.indexOf(' ', sp2 + 1);
    const subject = sp3 < 0 ? line.slice(sp2 + 1) : line.slice(sp2 + 1, sp3);
    const rest = sp3 < 0 ? '' : line.slice(sp3 + 1);
    if (type === 'R') push(j.answers, subject, { at, content: rest });
    else if (type === 'F') push(j.failures, subject, rest.split(' ')[0] ?? '-');
    else if (type === 'A') push(j.residency, subject, [at, Infinity]);
    else if (type === 'D') {
      const open = j.residency.get(subject)?.at(-1);
      if (open !== undefined && open[1] === Infinity) open[1] = at;
    }
  }
  if (endsAt !== undefined) for (const list of j.residency.values()) for (const i of list) if (i[1] === Infinity) i[1] = endsAt;
  return j;
}

function push<V>(map: Map<string, V[]>, key: string, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

/** Every answer delivered for `id` on any node. */
export function answersFor(journals: Journal[], id: string): { at: number; content: string }[] {
  return journals.flatMap((j) => j.answers.get(id) ?? []);
}

/** The first overlap of `key`'s in-memory intervals across two nodes, or undefined when there is none. */
export function overlapOf(journals: Journal[], names: string[], key: string): string | undefined {
  const per = journals.map((j) => j.residency.get(key) ?? []);
  for (let x = 0; x < per.length; x++) {
    for (let y = x + 1; y < per.length; y++) {
      for (const [a1, d1] of per[x]!) {
        for (const [a2, d2] of per[y]!) if (a1 < d2 && a2 < d1) return `${key}: ${names[x]} ${a1}..${d1} and ${names[y]} ${a2}..${d2}`;
      }
    }
  }
  return undefined;
}

/** `key` was in memory on the killed node before the kill and came into memory on a survivor after it. */
export function movedOff(journals: Journal[], killed: number, killedAt: number, key: string): boolean {
  if (!(journals[killed]!.residency.get(key) ?? []).some(([a]) => a < killedAt)) return false;
  return journals.some((j, i) => i !== killed && (j.residency.get(key) ?? []).some(([a]) => a >= killedAt));
}

/**
 * Failover as a client sees it: the killed node's partitions (`partitionOf` of every key it held
 * before `killedAt`) are taken over by survivors; the first answer a survivor delivered, after the
 * kill, for a key of those partitions that it had brought into memory after the kill (so handled
 * there, not an answer in transit from the dead node). `keyOf` maps a request id to its key.
 * Undefined when no such answer exists.
 */
export function firstAnswerAfterMove(
  journals: Journal[],
  killed: number,
  killedAt: number,
  partitionOf: (key: string) => number,
  keyOf: (id: string) => string,
): number | undefined {
  const held = new Set<number>();
  for (const [key, list] of journals[killed]!.residency) if (list.some(([a]) => a < killedAt)) held.add(partitionOf(key));
  let first: number | undefined;
  journals.forEach((j, i) => {
    if (i === killed) return;
    for (const [id, answers] of j.answers) {
      const key = keyOf(id);
      if (!held.has(partitionOf(key))) continue;
      const arrived = journals
        .filter((_, x) => x !== killed)
        .flatMap((s) => (s.residency.get(key) ?? []).map(([a]) => a))
        .filter((a) => a >= killedAt);
      if (arrived.length === 0) continue;
      const since = Math.min(...arrived);
      for (const a of answers) if (a.at >= since && (first === undefined || a.at < first)) first = a.at;
    }
  });
  return first;
}
