/**
 * `npm run bench -- density --cluster [--keys N] [--concurrency C] [--idle MS] [--answer-timeout MS]`
 * (issue 30, decisions 1980 and 2060): the density bench on three Kafka nodes with one killed
 * mid-run. Its own Kafka broker and etcd on loopback (scripts/infra, as bench/cluster.ts), three
 * cluster nodes as child processes (bench/lib-kinds-node-child.ts: startNode plus a journal of
 * residency and answers), the AssemblyScript state counter (examples/as-state-counter) deployed
 * once, through n1, as the kind `counter`.
 *
 * - Round 1: N keys (default 100,000) each get one `request` (`counter/k<i>`, reply-with `r1:k<i>`),
 *   C in flight (closed loop: a sender waits for its answer), sent through the three nodes' APIs in
 *   turn; once a third of the keys have answered, n3 is killed with SIGKILL (after it has held keys)
 *   and every later send goes through n1 and n2.
 * - Round 2: every key gets a second `request` (`r2:k<i>`) through n1 and n2.
 * - Afterwards every node's journal is read (the killed node's instances leaving memory at its death):
 *   each request's answers — every answer delivered, not only the first — must be exactly 1 for the
 *   first request and exactly 2 for the second; no key's in-memory intervals may overlap across
 *   nodes; keys in memory on n3 before the kill and on a survivor after it are counted as moved.
 *
 * Retries (none may hide a double count): every send carries an idempotency key (decision 1700)
 * and every attempt of one request keeps its reply-with, so all answers to all attempts are checked.
 * A send through n3 that fails because n3 was killed is sent again, same key, through a survivor:
 * if the first attempt was appended before the kill, both attempts carry the same message id and
 * the log's dedup drops the second; if dedup missed it, the key would count 2 on its first request
 * and 3 on its second, and `cluster_counts_exact` would be 0. The same for a request unanswered
 * after `--answer-timeout` (default 60 s): first looked for in the journals (an answer the killed node
delivered just before its death is in its journal, but may not have left its stdout pipe), and only
if none is there sent again with the same key. A send refused
 * `bus.overloaded`, or a request answered with a platform `failure` of kind `activation-limit`
 * (in a cluster a full shard refuses after acceptance, decision 2060), is waited (its retry-after,
 * 1 s for the failure) and sent again — the failure's delivery was dead-lettered, not handled, so
 * that retry takes a fresh idempotency key. All are counted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CaxtonClient, partitionFor } from '@caxton/runtime';
import { artifact } from './lib-artifacts.js';
import { PRODUCT_NODE, PRODUCT_NODE_FLAGS, startServers, waitUntil } from './lib-cluster.js';
import { answersFor, firstAnswerAfterMove, movedOff, overlapOf, parseJournal, type Journal } from './lib-kinds-journal.js';
import { percentile, report } from './lib-output.js';

const CHILD = fileURLToPath(new URL('./lib-kinds-node-child.js', import.meta.url));
const BENCH = 'density-cluster';
const IDS = ['n1', 'n2', 'n3'] as const;
/** The node killed mid-run (index into IDS). */
const KILLED = 2;
/** The deliveries topic's partitions, given to the nodes so the bench knows which keys moved with n3's. */
const PARTITIONS = 12;
const progress = (text: string): void => void process.stderr.write(`density --cluster: ${text}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `at`: when the answer was journalled, for one found in a journal rather than seen on stdout. */
type Outcome =
  | { kind: 'answer'; content: string; at?: number }
  | { kind: 'failure'; failure: string; reason: string }
  | { kind: 'timeout' };

/** One node child: its journal, its API client, the answers and failures it prints as they happen. */
class KindsNode {
  readonly dataDir: string;
  readonly journal: string;
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  client: CaxtonClient | undefined;
  rssPeak = 0;
  private out = '';
  private err = '';
  private address = '';

  constructor(
    readonly id: string,
    kafka: string,
    etcd: string,
    cluster: string,
    onLine: (line: string) => void,
  ) {
    this.dataDir = mkdtempSync(path.join(tmpdir(), `caxton-bench-density-${id}-`));
    this.journal = path.join(this.dataDir, 'journal.log');
    const options = {
      dataDir: this.dataDir,
      apiHost: '127.0.0.1',
      apiPort: 0,
      nodeId: id,
      auth: { mode: 'none' },
      kafka: { brokers: [kafka] },
      etcd: { endpoints: [etcd] },
      cluster: { name: cluster, partitions: PARTITIONS },
    };
    this.child = spawn(PRODUCT_NODE, [...PRODUCT_NODE_FLAGS, CHILD, JSON.stringify(options), this.journal], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      this.out += d;
      let nl: number;
      while ((nl = this.out.indexOf('\n')) >= 0) {
        const line = this.out.slice(0, nl);
        this.out = this.out.slice(nl + 1);
        if (line.startsWith('{')) this.serving(line);
        else onLine(line);
      }
    });
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.err = (this.err + d).slice(-20_000)));
    this.exited = new Promise((r) => this.child.on('exit', () => r()));
  }

  private serving(line: string): void {
    try {
      const e = JSON.parse(line) as { event?: string; address?: string };
      if (e.event === 'serving' && e.address) this.address = e.address;
    } catch {
      // not the serving line
    }
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get stderr(): string {
    return this.err;
  }

  async ready(): Promise<void> {
    const deadline = Date.now() + 120_000;
    while (this.address === '') {
      if (!this.alive) throw new Error(`node ${this.id} exited before serving: ${this.err.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`node ${this.id} did not serve: ${this.err.slice(-3000)}`);
      await sleep(50);
    }
    this.client = await CaxtonClient.connect({ address: this.address });
  }

  /** RSS from /proc (Linux); 0 when unreadable or the process is gone. */
  sampleRss(): void {
    if (!this.alive || this.child.pid === undefined) return;
    try {
      const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${this.child.pid}/status`, 'utf8'))?.[1];
      if (kb !== undefined) this.rssPeak = Math.max(this.rssPeak, Number(kb) * 1024);
    } catch {
      // exited between the check and the read
    }
  }

  async kill(): Promise<void> {
    this.client?.close();
    this.child.kill('SIGKILL');
    await this.exited;
  }

  async stop(): Promise<void> {
    this.client?.close();
    if (this.alive) {
      this.child.kill('SIGTERM');
      const t = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
      await this.exited;
      clearTimeout(t);
    }
  }
}

function arg(argv: string[], name: string, fallback: number): number {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] ? Number(argv[i + 1]) : fallback;
}

export async function densityCluster(argv: string[]): Promise<void> {
  const KEYS = arg(argv, 'keys', 100_000);
  const CONCURRENCY = arg(argv, 'concurrency', 64);
  const IDLE_MS = arg(argv, 'idle', 1000);
  const ANSWER_TIMEOUT_MS = arg(argv, 'answer-timeout', 60_000);
  const MAX_ATTEMPTS = 5;
  const load0 = loadavg()[0]!;

  const waiting = new Map<string, (o: Outcome) => void>();
  const onLine = (line: string): void => {
    // `R <ms> <in-reply-to> <content>` / `F <ms> <in-reply-to> <kind> <reason>`
    const [type, , id, a, ...rest] = line.split(' ');
    if (id === undefined) return;
    const w = waiting.get(id);
    if (w === undefined) return; // a second answer of one request: in the journal, checked at the end
    waiting.delete(id);
    if (type === 'R') w({ kind: 'answer', content: [a, ...rest].join(' ') });
    else if (type === 'F') w({ kind: 'failure', failure: a ?? '-', reason: rest.join(' ') });
  };

  const t0 = Date.now();
  const servers = await startServers({});
  const nodes: KindsNode[] = [];
  let killedAt: number | undefined;
  let killing = false;
  const rss = setInterval(() => nodes.forEach((n) => n.sampleRss()), 1000);
  try {
    const cluster = `density-${process.pid}-${Date.now()}`;
    for (const id of IDS) nodes.push(new KindsNode(id, servers.kafka, servers.etcd, cluster, onLine));
    await Promise.all(nodes.map((n) => n.ready()));
    const started = Date.now();
    const deployed = await nodes[0]!.client!.deploy(
      { name: 'counter', config: {}, limits: {}, kind: { idleMs: IDLE_MS } },
      (await artifact('as-state-counter')).bytes,
    );
    if (!deployed.kind) throw new Error('counter was not deployed as a kind');
    for (const n of nodes.slice(1))
      await waitUntil(
        `the kind to be known on ${n.id}`,
        async () => (await n.client!.getAgent('counter').catch(() => undefined))?.kind !== undefined,
        30_000,
      );
    const known = Date.now();
    progress(
      `3 nodes serving in ${((started - t0) / 1000).toFixed(1)} s (Kafka and etcd included), kind known everywhere ${((known - started) / 1000).toFixed(1)} s later; ${KEYS} keys, ${CONCURRENCY} in flight, idle ${IDLE_MS} ms`,
    );

    let sendsRetried = 0;
    let resentAfterTimeout = 0;
    let foundInJournal = 0;
    let refusalsRetried = 0;
    let answered = 0;
    let round = 'r1';
    const unanswered: string[] = [];
    const live = (): KindsNode[] => nodes.filter((_n, i) => !(i === KILLED && (killing || killedAt !== undefined)));

    /** Waits for `id`'s answer; `settled` is what came already (an answer can beat its send's acknowledgement). */
    const expect = (id: string): { outcome: Promise<Outcome>; settled(): Outcome | undefined; cancel(): void } => {
      let timer: NodeJS.Timeout | undefined;
      let came: Outcome | undefined;
      const outcome = new Promise<Outcome>((resolve) => {
        waiting.set(id, (o) => resolve((came = o)));
        timer = setTimeout(() => {
          waiting.delete(id);
          resolve({ kind: 'timeout' });
        }, ANSWER_TIMEOUT_MS);
      }).finally(() => clearTimeout(timer));
      return {
        outcome,
        settled: () => came,
        cancel: () => {
          waiting.delete(id);
          clearTimeout(timer);
        },
      };
    };

    /** One request to `counter/k<i>`, retried as the header says; its answer and µs send → answer. */
    const ask = async (i: number, via: number): Promise<[string | undefined, number]> => {
      const id = `${round}:k${i}`;
      let key = id;
      const t = performance.now();
      const wall = Date.now();
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        const nodesNow = live();
        const node = nodesNow[via % nodesNow.length]!;
        const pending = expect(id);
        try {
          await node.client!.send(
            { structured: { performative: 'request', receivers: [{ name: `counter/k${i}` }], content: 'count', replyWith: id } },
            { idempotencyKey: key },
          );
        } catch (err) {
          pending.cancel();
          const e = err as { code?: string; context?: { retryAfterMs?: unknown } };
          const came = pending.settled();
          // Appended through n3, handled and answered on a survivor, n3 killed before it acknowledged the send.
          if (came?.kind === 'answer') return [came.content, (performance.now() - t) * 1000];
          if (nodes.indexOf(node) === KILLED && (killing || killedAt !== undefined)) {
            sendsRetried++; // through a survivor, same idempotency key
            attempt--;
            continue;
          }
          if (e.code === 'bus.overloaded') {
            refusalsRetried++;
            await sleep(typeof e.context?.retryAfterMs === 'number' ? e.context.retryAfterMs : 250);
            attempt--;
            continue;
          }
          throw err;
        }
        const o = await pending.outcome;
        if (o.kind === 'answer') return [o.content, o.at !== undefined ? (o.at - wall) * 1000 : (performance.now() - t) * 1000];
        if (o.kind === 'failure' && o.failure === 'activation-limit') {
          refusalsRetried++;
          await sleep(Number(/retry after (\d+) ms/.exec(o.reason)?.[1] ?? 1000));
          key = `${id}#${attempt}`; // dead-lettered, not handled: a new message
          attempt--;
          continue;
        }
        if (o.kind === 'failure') throw new Error(`${id}: failure ${o.failure}: ${o.reason}`);
        const journalled = journalAnswer(id);
        if (journalled !== undefined) {
          foundInJournal++;
          return [journalled.content, (journalled.at - wall) * 1000];
        }
        resentAfterTimeout++; // same idempotency key: the same message id if the first did land
      }
      unanswered.push(id);
      return [undefined, (performance.now() - t) * 1000];
    };

    /** An answer to `id` in any node's journal (read only after a timeout: rare). */
    const journalAnswer = (id: string): { at: number; content: string } | undefined => {
      for (const n of nodes) {
        // ids are `r<round>:k<i>`: nothing in them a pattern would read specially
        const m = new RegExp(`^R (\\d+) ${id} (.*)$`, 'm').exec(readFileSync(n.journal, 'utf8'));
        if (m !== null) return { at: Number(m[1]), content: m[2]! };
      }
      return undefined;
    };

    const killN3 = async (): Promise<void> => {
      const n3 = nodes[KILLED]!;
      await waitUntil('n3 to have held keys', () => (readFileSync(n3.journal, 'utf8').match(/^A /gm)?.length ?? 0) >= 10, 60_000);
      killing = true;
      await n3.kill();
      killedAt = Date.now(); // after its exit: nothing of n3 ran past this
      // Its journal is final now: answers it delivered just before its death may never leave its
      // stdout pipe, so the requests waiting for them are answered from the journal.
      for (const m of readFileSync(n3.journal, 'utf8').matchAll(/^R (\d+) (\S+) (.*)$/gm)) {
        const w = waiting.get(m[2]!);
        if (w === undefined) continue;
        waiting.delete(m[2]!);
        foundInJournal++;
        w({ kind: 'answer', content: m[3]!, at: Number(m[1]) });
      }
      progress(`n3 killed (SIGKILL) at ${answered} answered keys`);
    };

    const runRound = async (name: string, viaCount: () => number, onAnswer: () => void): Promise<{ us: number[]; seconds: number }> => {
      round = name;
      answered = 0;
      const us = new Array<number>(KEYS);
      let next = 0;
      const start = performance.now();
      let last = { at: start, answered: 0 };
      const ticker = setInterval(() => {
        const now = performance.now();
        progress(
          `${name}: ${answered}/${KEYS} answered, ${((answered - last.answered) / ((now - last.at) / 1000)).toFixed(0)}/s; ${sendsRetried} sends retried after the kill, ${resentAfterTimeout} after a timeout, ${foundInJournal} found in a journal, ${refusalsRetried} refusals retried; load ${loadavg()[0]!.toFixed(1)}`,
        );
        last = { at: now, answered };
      }, 5000);
      try {
        await Promise.all(
          Array.from({ length: Math.min(CONCURRENCY, KEYS) }, async () => {
            for (let i = next++; i < KEYS; i = next++) {
              // what it answered is checked from the journals afterwards, every answer of it
              us[i] = (await ask(i, i % viaCount()))[1];
              answered++;
              onAnswer();
            }
          }),
        );
      } finally {
        clearInterval(ticker);
      }
      return { us, seconds: (performance.now() - start) / 1000 };
    };

    // Settled, never rejected while round 1 runs (an unhandled rejection would end the process
    // before the finally below stops Kafka, etcd and the nodes); its error is thrown after the round.
    let kill: Promise<unknown> | undefined;
    const first = await runRound(
      'r1',
      () => 3,
      () => {
        if (kill === undefined && answered >= Math.floor(KEYS / 3))
          kill = killN3().then(
            () => undefined,
            (err: unknown) => err,
          );
      },
    );
    const killFailed = await kill;
    if (killFailed !== undefined) throw killFailed;
    if (killedAt === undefined) throw new Error('n3 was not killed during round 1');
    progress(`round 1: ${KEYS} keys in ${first.seconds.toFixed(1)} s`);
    const second = await runRound(
      'r2',
      () => 2,
      () => {},
    );
    progress(`round 2: ${KEYS} keys in ${second.seconds.toFixed(1)} s; stopping the survivors and reading the journals`);
    clearInterval(rss);
    for (const n of nodes) n.sampleRss();
    await Promise.all(nodes.map((n) => n.stop()));

    const js: Journal[] = nodes.map((n, i) => parseJournal(readFileSync(n.journal, 'utf8'), i === KILLED ? killedAt : undefined));
    let wrongFirst = 0;
    let wrongSecond = 0;
    let answeredAfter = 0;
    let repeated = 0;
    let overlapping = 0;
    let moved = 0;
    const examples: string[] = [];
    for (let i = 0; i < KEYS; i++) {
      const key = `counter/k${i}`;
      const a1 = answersFor(js, `r1:k${i}`);
      const a2 = answersFor(js, `r2:k${i}`);
      if (a1.length === 0 || a1.some((a) => a.content !== '1')) {
        wrongFirst++;
        if (examples.length < 5) examples.push(`${key} first: [${a1.map((a) => a.content).join(',')}]`);
      }
      if (a2.length > 0) answeredAfter++;
      if (a2.length === 0 || a2.some((a) => a.content !== '2')) {
        wrongSecond++;
        if (examples.length < 5) examples.push(`${key} second: [${a2.map((a) => a.content).join(',')}]`);
      }
      if (a1.length > 1) repeated++;
      if (a2.length > 1) repeated++;
      const overlap = overlapOf(js, [...IDS], key);
      if (overlap !== undefined) {
        overlapping++;
        if (examples.length < 5) examples.push(overlap);
      }
      if (killedAt !== undefined && movedOff(js, KILLED, killedAt, key)) {
        moved++;
      }
    }
    const failedOver =
      killedAt === undefined
        ? undefined
        : firstAnswerAfterMove(
            js,
            KILLED,
            killedAt,
            (key) => partitionFor(key, PARTITIONS),
            (id) => `counter/${id.slice(id.indexOf(':') + 1)}`,
          );
    const activations = js.map((j) => [...j.residency.values()].reduce((n, l) => n + l.length, 0));
    const exact = wrongFirst === 0 && wrongSecond === 0 ? 1 : 0;
    if (examples.length > 0) progress(`examples: ${examples.join('; ')}`);

    const out = (metric: string, value: number, unit: string, note?: string, target?: string): void =>
      report({ bench: BENCH, metric, value, unit, ...(note !== undefined ? { note } : {}), ...(target !== undefined ? { target } : {}) });
    const setup = `${KEYS} keys of the AssemblyScript state counter kind (idle ${IDLE_MS} ms) on 3 cluster nodes (child processes) sharing one Kafka broker and one etcd on loopback, all on this machine (${cpus().length} cores, load average ${load0.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end); ${CONCURRENCY} requests in flight (closed loop); n3 SIGKILLed once ${Math.floor(KEYS / 3)} keys had answered`;
    out(
      'cluster_keys',
      KEYS,
      'keys',
      `${setup}; round 1 (kill included) ${first.seconds.toFixed(1)} s, round 2 ${second.seconds.toFixed(1)} s (${(KEYS / second.seconds).toFixed(0)} msg/s); activations per node ${IDS.map((id, i) => `${id}=${activations[i]}`).join(' ')}`,
    );
    out(
      'cluster_msgs_per_s',
      KEYS / first.seconds,
      'msg/s',
      'first requests answered per second over round 1 (each one an activation; the failover pause included)',
    );
    out(
      'cluster_activation_p50_us',
      percentile(first.us, 50),
      'us',
      "request -> answer of a key's first message (activation + handling + state and completion committed to Kafka), as the bench saw it; keys stalled by the failover included",
    );
    out('cluster_activation_p99_us', percentile(first.us, 99), 'us');
    out(
      'cluster_keys_answered_after_kill',
      answeredAfter,
      'keys',
      `keys whose second request (sent after the kill, through n1 and n2) was answered; ${unanswered.length} requests given up after ${MAX_ATTEMPTS} attempts`,
      `= ${KEYS}`,
    );
    out(
      'cluster_counts_exact',
      exact,
      'bool',
      `every answer delivered to every first request is 1 and to every second exactly 2, from all three journals (${wrongFirst} keys wrong or unanswered on the first, ${wrongSecond} on the second; ${repeated} requests answered more than once — a handling re-done on the committed count after a move answers again with the same count; a double count would show as 2 on a first or 3 on a second request)`,
      '= 1',
    );
    out(
      'cluster_keys_active_on_two_nodes',
      overlapping,
      'keys',
      "keys whose in-memory intervals (journalled by each node as instances come into and leave memory; the killed node's open ones ending at its death) overlap across two nodes",
      '= 0',
    );
    out('cluster_keys_moved', moved, 'keys', 'keys in memory on n3 before the kill and brought into memory on a survivor after it');
    out(
      'cluster_failover_s',
      failedOver !== undefined && killedAt !== undefined ? (failedOver - killedAt) / 1000 : -1,
      's',
      'kill -> first answer from a survivor for a key of a partition n3 held, handled there (brought into memory after the kill); default 6 s Kafka session timeout, 5 s lease',
    );
    out(
      'node_rss_peak_mib',
      Math.max(...nodes.map((n) => n.rssPeak)) / 2 ** 20,
      'MiB',
      `highest node process RSS (sampled every 1 s from /proc): ${nodes.map((n) => `${n.id} ${(n.rssPeak / 2 ** 20).toFixed(0)}`).join(', ')} MiB`,
    );
    out(
      'cluster_refusals_retried',
      refusalsRetried,
      'requests',
      'bus.overloaded send refusals and activation-limit failures, each waited (its retry-after) and sent again',
    );
    out(
      'cluster_sends_retried',
      sendsRetried + resentAfterTimeout,
      'requests',
      `${sendsRetried} sends through n3 failed by its kill, sent again through a survivor with the same idempotency key; ${resentAfterTimeout} requests unanswered after ${ANSWER_TIMEOUT_MS / 1000} s and not in any journal, sent again with the same key; ${foundInJournal} answers found in a journal rather than on the nodes' stdout (delivered by n3 just before its death), not sent again`,
    );
  } finally {
    clearInterval(rss);
    await Promise.allSettled(nodes.map((n) => n.stop()));
    for (const n of nodes) rmSync(n.dataDir, { recursive: true, force: true });
    await servers.stop();
  }
}
