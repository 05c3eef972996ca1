/**
 * The hostile bench's `send_storm` case (issue 25): an agent that, on each message it gets, sends
 * its neighbour as many messages as its quotas allow (the default 1,000 per call, 10,000/s) — a
 * conformance puppet commanded `count=1000` — fed FEED_PER_S commands per second. Measured with
 * operator probes (requests from the operator, lane `operator`, each answered by an echo agent to
 * a sink; latency from the send call to the reply's acceptance):
 *
 * - the neighbour's (the storm's target) and a bystander's (another echo agent on the node) probe
 *   p99 during the storm, against the same probes with no storm (target <= 2x idle);
 * - operator probes refused, at the edge or by a mailbox (target 0);
 * - how long `stop --force` of the storming agent takes (target <= 1 s).
 */
import type { BenchResult } from './lib-output.js';
import type { BenchNode } from './lib-bus-node.js';
import { sleep } from './lib-bus-node.js';
import { artifact } from './lib-artifacts.js';

export interface SendStormOptions {
  windowS: number;
  feedPerS: number;
  /** Probes per second to each of the neighbour and the bystander. */
  probesPerS: number;
  /** Sends per command (the puppet's `count`); the default outbox quota is 1,000 per call. */
  perCall: number;
}

interface ProbeWindow {
  neighbourMs: number[];
  bystanderMs: number[];
  refused: number;
  refusedBy: Map<string, number>;
  unanswered: number;
}

const NEIGHBOUR = 'storm-neighbour';
const BYSTANDER = 'storm-bystander';
const SINK = 'storm-sink';
const HOSTILE = 'hostile-send_storm';

function p99(xs: number[]): number {
  if (xs.length === 0) return Number.NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(0.99 * sorted.length) - 1)]!;
}

/** Probe both echo agents for `seconds`; `during` runs alongside (the storm's feeder). */
async function probe(node: BenchNode, seconds: number, probesPerS: number): Promise<ProbeWindow> {
  const waiting = new Map<string, { at: number; into: number[] }>();
  const w: ProbeWindow = { neighbourMs: [], bystanderMs: [], refused: 0, refusedBy: new Map(), unanswered: 0 };
  const off = node.on((e) => {
    if (e.type !== 'accepted' || e.message.inReplyTo === undefined) return;
    const p = waiting.get(e.message.inReplyTo);
    if (p === undefined) return;
    waiting.delete(e.message.inReplyTo);
    p.into.push(performance.now() - p.at);
  }, ['accepted']);
  let seq = 0;
  const start = performance.now();
  let issued = 0;
  while (performance.now() - start < seconds * 1000) {
    const due = Math.floor(((performance.now() - start) / 1000) * probesPerS);
    for (; issued < due; issued++) {
      for (const [to, into] of [[NEIGHBOUR, w.neighbourMs], [BYSTANDER, w.bystanderMs]] as const) {
        const key = `probe-${to}-${seq++}`;
        waiting.set(key, { at: performance.now(), into });
        node.control.send({ performative: 'request', receivers: [{ name: to }], replyTo: [{ name: SINK }], replyWith: key, content: key }, { lane: 'operator' })
          .catch((err: unknown) => {
            waiting.delete(key);
            w.refused++;
            const code = `${to === NEIGHBOUR ? 'neighbour' : 'bystander'} ${(err as { code?: string }).code ?? 'untyped'}`;
            w.refusedBy.set(code, (w.refusedBy.get(code) ?? 0) + 1);
          });
      }
    }
    await sleep(5);
  }
  // Stragglers: up to 10 s; what is still missing then is reported, not hidden.
  const drain = performance.now();
  while (waiting.size > 0 && performance.now() - drain < 10_000) await sleep(20);
  w.unanswered = waiting.size;
  off();
  return w;
}

export async function sendStorm(node: BenchNode, o: SendStormOptions, progress: (text: string) => void): Promise<BenchResult[]> {
  await node.deploy(NEIGHBOUR, 'as-echo');
  await node.deploy(BYSTANDER, 'as-echo');
  await node.deploy(SINK, 'conformance/sink');
  const idle = await probe(node, o.windowS, o.probesPerS);

  await node.control.deploy({ name: HOSTILE, config: {}, limits: {} }, await artifact('conformance/puppet'));
  const command = [`to=${NEIGHBOUR}`, 'performative=inform', 'content=storm', `count=${o.perCall}`].join('\n');
  let fed = 0;
  let feedRefused = 0;
  const feeder = setInterval(() => {
    node.control.send({ performative: 'request', receivers: [{ name: HOSTILE }], content: command, userParams: { 'X-puppet': 'do' } })
      .then(() => fed++, () => feedRefused++);
  }, 1000 / o.feedPerS);
  await sleep(500);
  const storm = await probe(node, o.windowS, o.probesPerS);
  clearInterval(feeder);
  const status = await node.control.getAgent(HOSTILE);
  const t0 = performance.now();
  await node.control.stop(HOSTILE, { force: true });
  const stopMs = performance.now() - t0;
  progress(`send_storm: neighbour p99 ${p99(storm.neighbourMs).toFixed(1)} ms (idle ${p99(idle.neighbourMs).toFixed(1)}), bystander ${p99(storm.bystanderMs).toFixed(1)} ms (idle ${p99(idle.bystanderMs).toFixed(1)}); probes refused ${idle.refused + storm.refused}, unanswered ${idle.unanswered + storm.unanswered}; hostile fed ${fed} (${feedRefused} refused), state ${status?.state}; stop --force ${stopMs.toFixed(0)} ms`);

  const ratio = (k: 'neighbourMs' | 'bystanderMs'): number => p99(storm[k]) / p99(idle[k]);
  const how = `${o.probesPerS} operator probes/s to each, request -> reply; the storm: a puppet sending ${o.perCall} informs to the neighbour per command, fed ${o.feedPerS}/s (${fed} commands accepted, ${feedRefused} refused)`;
  const out: BenchResult[] = [];
  for (const [k, who] of [['neighbourMs', 'neighbour'], ['bystanderMs', 'bystander']] as const) {
    const r = ratio(k);
    out.push({ bench: 'hostile', metric: `send_storm_${who}_p99_vs_idle`, value: Number(r.toFixed(2)), unit: 'ratio', target: '<= 2',
      note: `${who} probe p99 ${p99(storm[k]).toFixed(1)} ms during the storm (${storm[k].length} answered) vs ${p99(idle[k]).toFixed(1)} ms idle (${idle[k].length}); ${how}${r > 2 ? '; above target' : ''}` });
  }
  const refused = idle.refused + storm.refused;
  out.push({ bench: 'hostile', metric: 'send_storm_operator_probes_refused', value: refused, unit: 'probes', target: '= 0',
    note: `idle: ${[...idle.refusedBy].map(([c, n]) => `${c} ${n}`).join(', ') || 'none'}; storm: ${[...storm.refusedBy].map(([c, n]) => `${c} ${n}`).join(', ') || 'none'}; of ${idle.neighbourMs.length + idle.bystanderMs.length + storm.neighbourMs.length + storm.bystanderMs.length + refused + idle.unanswered + storm.unanswered} probes; ${idle.unanswered + storm.unanswered} accepted but not answered within 10 s after the window` });
  out.push({ bench: 'hostile', metric: 'send_storm_stop_force_ms', value: Math.round(stopMs), unit: 'ms', target: '<= 1000',
    note: `stop --force of the storming agent (state before: ${status?.state}, ${status?.restarts ?? 0} restarts)${stopMs > 1000 ? '; above target' : ''}` });
  return out;
}
