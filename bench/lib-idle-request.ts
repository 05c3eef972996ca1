/**
 * One outside request at a time on an otherwise idle node (decision 2106): the operator sends a
 * request to an echo agent whose reply goes to a sink, waits for the reply's acceptance and for its
 * own send to resolve, then lets the node go idle for `gapMs` before the next. What a lone client
 * sees — no group commit shares a write, no batch shares a thread hop — unlike the latency phase's
 * open loop at half load. The node's main thread's CPU time during each request (Linux schedstat)
 * says how much of a request is work on the bus thread rather than waiting for the disk or a core.
 */
import { readMainThreadSched } from './lib-proc-stat.js';
import { percentile } from './lib-output.js';
import { sleep, type BenchNode } from './lib-bus-node.js';

export interface IdleRequestRun {
  /** Send call → the reply's acceptance by the bus (what the latency phase measures), µs. */
  replyUs: number[];
  /** Send call → the send's promise settled (the audit outcome durable and anchored too), µs. */
  sendUs: number[];
  /** The bus thread's CPU time from the send call to the reply's acceptance, µs (empty without schedstat). */
  busThreadCpuUs: number[];
}

/** `requests` measured after `warmUp` unmeasured ones, each alone; the node has `echo` and `sink` deployed. */
export async function idleRequests(
  node: BenchNode,
  echo: string,
  sink: string,
  requests: number,
  warmUp: number,
  gapMs: number,
): Promise<IdleRequestRun> {
  const run: IdleRequestRun = { replyUs: [], sendUs: [], busThreadCpuUs: [] };
  let replied: ((atUs: number) => void) | undefined;
  let expected = '';
  const off = node.on(
    (e) => {
      if (e.type === 'accepted' && e.message.performative === 'inform' && e.message.inReplyTo === expected)
        replied?.(performance.now() * 1000);
    },
    ['accepted'],
  );
  try {
    for (let i = 0; i < warmUp + requests; i++) {
      await sleep(gapMs);
      expected = `idle-${i}`;
      const reply = new Promise<number>((resolve) => {
        replied = resolve;
      });
      const cpu0 = readMainThreadSched();
      const t0 = performance.now() * 1000;
      const sent = node.control
        .send({ performative: 'request', receivers: [{ name: echo }], replyTo: [{ name: sink }], replyWith: expected, content: expected })
        .then(() => performance.now() * 1000);
      const replyAt = await reply;
      const cpu1 = readMainThreadSched();
      const sentAt = await sent;
      if (i < warmUp) continue;
      run.replyUs.push(replyAt - t0);
      run.sendUs.push(sentAt - t0);
      if (cpu0 && cpu1) run.busThreadCpuUs.push((cpu1.runNs - cpu0.runNs) / 1000);
    }
  } finally {
    off();
  }
  return run;
}

/** p50 / p99 of a sample, rounded to µs. */
export function idleSummary(samples: number[]): { p50: number; p99: number } {
  return { p50: Math.round(percentile(samples, 50)), p99: Math.round(percentile(samples, 99)) };
}
