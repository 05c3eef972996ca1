/**
 * local_hop_p50_us / _p99_us (`npm run bench -- bus --only local_hop`, issue 60): how long one agent's
 * message takes to reach another on the same node when nothing else is running — the design promises
 * under 1 ms. One pinger/echo pair, one chain: each handling sends the next message, so the time
 * from one handling's end (the node's `handled` event of the sender) to the next (the receiver's) is
 * one hop: the sender's completion made durable (a group commit with fdatasync on the embedded log,
 * or none in memory), routed, dispatched to the receiver's shard and handled there. Measured over a
 * window after a warm-up, both persistences, same node options as the rest of the bus bench.
 */
import { percentile } from './lib-output.js';
import { BenchNode, sleep } from './lib-bus-node.js';

export interface LocalHop {
  hops: number;
  p50Us: number;
  p99Us: number;
}

export async function localHop(persistence: 'disk' | 'memory', o: { warmupS: number; seconds: number }): Promise<LocalHop> {
  const node = await BenchNode.start({ persistence, fsync: 'always' });
  try {
    await node.deploy('hop-echo', 'as-echo');
    await node.deploy('hop-ping', 'conformance/pinger', { peer: 'hop-echo', rounds: '1000000000' });
    let last: number | undefined;
    let measuring = false;
    const hops: number[] = [];
    const off = node.on(
      (e) => {
        if (e.type !== 'handled' || (e.agent !== 'hop-ping' && e.agent !== 'hop-echo')) return;
        const now = performance.now();
        if (measuring && last !== undefined) hops.push((now - last) * 1000);
        last = now;
      },
      ['handled'],
    );
    try {
      await node.sendRetrying({ performative: 'request', receivers: [{ name: 'hop-ping' }], content: '1' });
      await sleep(o.warmupS * 1000);
      measuring = true;
      await sleep(o.seconds * 1000);
      measuring = false;
    } finally {
      off();
    }
    if (hops.length < 100) throw new Error(`only ${hops.length} hops in ${o.seconds} s: the chain did not run`);
    return { hops: hops.length, p50Us: Math.round(percentile(hops, 50)), p99Us: Math.round(percentile(hops, 99)) };
  } finally {
    await node.stop();
  }
}
