/**
 * A message to many receivers, as AssemblyScript and JavaScript agents see it (decision 2001), on a
 * real in-process node with real sandboxed agents (examples/conformance/receivers-probe,
 * js-receivers-probe, c-receivers-probe and rust-receivers-probe, beside 12 conformance/sink agents): above 16 receivers each delivery carries
 * only its agent's own id and the count in `X-caxton-receivers`, and the full list, in the order
 * sent, is paged through caxton:agent/message-info; at 16 nothing changes; hostile paging arguments
 * and a call outside `handle` are refused with the WIT's typed error. The 100-receiver message
 * also names 84 agents that are not deployed (refused `unknown-receiver` at the send): the count
 * and the list are the message as sent, whoever of its receivers accepted it, and the test deploys
 * 16 agents instead of 100.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { MESSAGE_INFO_LIMITS, RECEIVER_COUNT_PARAM } from '@caxton/core';
import { TestNode } from './support/test-node.js';
import { sendHonouringRetryAfter } from './support/overload-retry.js';

let t: TestNode;
const PROBES = ['as-probe', 'js-probe', 'c-probe', 'rust-probe'];
const SINKS = Array.from({ length: 12 }, (_, i) => `sink-${i}`);
const ABSENT = Array.from({ length: 100 - PROBES.length - SINKS.length }, (_, i) => `absent-${i}`);

before(async () => {
  t = await TestNode.start();
  // Deployed concurrently: most of a deployment is waiting on the registry and the shard.
  await Promise.all([
    t.deploy('as-probe', 'conformance/receivers-probe', {}, { fuelPerMessage: 50_000_000 }),
    t.deploy('js-probe', 'conformance/js-receivers-probe', {}, { fuelPerMessage: 500_000_000 }),
    t.deploy('c-probe', 'conformance/c-receivers-probe', {}, { fuelPerMessage: 50_000_000 }),
    t.deploy('rust-probe', 'conformance/rust-receivers-probe', {}, { fuelPerMessage: 50_000_000 }),
    ...SINKS.map((s) => t.deploy(s, 'conformance/sink')),
  ]);
});

after(async () => {
  await t?.dispose();
});

/** Sends one inform to `receivers` and waits until both probes have logged their last page line. */
async function deliver(receivers: string[], content: string): Promise<Map<string, string[]>> {
  const before = new Map(PROBES.map((p) => [p, t.logs(p).length]));
  const sent = await t.send({ performative: 'inform', receivers: receivers.map((name) => ({ name })), content });
  const deployed = receivers.filter((r) => !r.startsWith('absent-'));
  assert.deepEqual([...sent.accepted].sort(), [...deployed].sort());
  assert.equal(sent.refused.length, receivers.length - deployed.length);
  for (const r of sent.refused) assert.equal(r.reason, 'unknown-receiver');
  const out = new Map<string, string[]>();
  for (const p of PROBES) {
    out.set(
      p,
      await t.waitFor(`${p} to page the list`, () => {
        const lines = t.logs(p).slice(before.get(p));
        return lines.filter((l) => l.startsWith('page ')).length >= 6 ? lines : undefined;
      }),
    );
  }
  return out;
}

/** What a probe's SDK says the count is without a host call: required of all but the C probe, which has no such helper. */
const countOf = (p: string, n: number): string => (p === 'c-probe' ? '' : ` countOf=${n}`);

const line = (lines: string[], prefix: string): string => lines.find((l) => l.startsWith(prefix)) ?? `(no line ${prefix})`;

test('init: no message is being handled, the count is 0 and a page is refused no-message', async () => {
  for (const p of PROBES) assert.equal(line(t.logs(p), 'init '), 'init count=0 page: no-message', p);
});

test('100 receivers: each agent sees only itself and the count, and pages the whole list in the order sent', async () => {
  const receivers = [...PROBES.slice(0, 1), ...SINKS, ...ABSENT, ...PROBES.slice(1)];
  assert.equal(receivers.length, 100);
  const seen = await deliver(receivers, 'wide');
  for (const p of PROBES) {
    const lines = seen.get(p)!;
    // Its own receiver entry as sent (no platform added, not an instance identity), and the count three ways.
    assert.equal(line(lines, 'got ').replace(/@[^,\s]+/g, ''), `got self=${p} param=100 count=100${countOf(p, 100)}`, p);
    assert.match(line(lines, 'all='), /^all=100 first=as-probe(@\S+)? last=rust-probe(@\S+)?$/, p);
    assert.match(line(lines, 'page 0 0:'), /^page 0 0: invalid-range: limit 0 is not within 1\.\.256/, p);
    assert.match(line(lines, 'page 0 257:'), /^page 0 257: invalid-range: limit 257 is not within 1\.\.256/, p);
    assert.match(line(lines, 'page 101 1:'), /^page 101 1: invalid-range: offset 101 is past the 100 receivers/, p);
    assert.match(line(lines, 'page 4294967295 4294967295:'), /^page 4294967295 4294967295: invalid-range: /, p);
    assert.equal(line(lines, 'page 100 1:'), 'page 100 1: ok 0', `${p}: the end of the list is an empty page`);
    assert.equal(line(lines, 'page 99 256:'), 'page 99 256: ok 1', `${p}: the last page is short`);
  }
  // The JS SDK: allReceivers works detached; arguments outside u32 are refused typed, not coerced.
  const js = seen.get('js-probe')!;
  assert.equal(line(js, 'detached '), 'detached all=100');
  assert.equal(line(js, 'page -1 1:'), 'page -1 1: invalid-range: offset -1 is not a u32');
  assert.equal(line(js, 'page 0 1.5:'), 'page 0 1.5: invalid-range: limit 1.5 is not a u32');
});

test(`${MESSAGE_INFO_LIMITS.inlineReceivers} receivers: the delivery carries the whole list, no count parameter, and paging answers the same`, async () => {
  const receivers = [...PROBES, ...SINKS.slice(0, MESSAGE_INFO_LIMITS.inlineReceivers - PROBES.length)];
  const seen = await deliver(receivers, 'narrow');
  const names = receivers.join(',');
  for (const p of PROBES) {
    const lines = seen.get(p)!;
    const got = line(lines, 'got ');
    assert.equal(got.replace(/@[^,\s]+/g, ''), `got self=${names} param=- count=16${countOf(p, 16)}`, p);
    assert.match(line(lines, 'all='), /^all=16 first=as-probe(@\S+)? last=sink-11(@\S+)?$/, p);
    assert.equal(line(lines, 'page 15 256:'), 'page 15 256: ok 1', p);
  }
});

test('a sender cannot forge the count: its own X-caxton-receivers is replaced on a narrowed delivery and dropped below the threshold', async () => {
  // Also under a key only Unicode case folding matches (ſ, U+017F: Go's strings.EqualFold takes it for s).
  const forged = { [RECEIVER_COUNT_PARAM]: '7', 'X-caxton-receiver\u017f': '8' };
  for (const [receivers, expected] of [
    [[...PROBES, ...SINKS, ...ABSENT.slice(0, 6)], (p: string) => `param=22 count=22${countOf(p, 22)}`],
    [PROBES, (p: string) => `got self=${PROBES.join(',')} param=- count=4${countOf(p, 4)}`],
  ] as const) {
    const before = new Map(PROBES.map((p) => [p, t.logs(p).length]));
    await t.send({ performative: 'inform', receivers: receivers.map((name) => ({ name })), content: 'forged', userParams: forged });
    for (const p of PROBES) {
      const got = await t.waitFor(`${p} to log it`, () =>
        t
          .logs(p)
          .slice(before.get(p))
          .find((l) => l.startsWith('got ')),
      );
      assert.ok(got.replace(/@[^,\s]+/g, '').endsWith(expected(p)), `${p}: ${got}`);
    }
  }
});

test('every replica of a scaled agent sees its receiver entry, not its instance key (decision 2010)', async () => {
  await t.control.scale('js-probe', 2);
  try {
    const receivers = [...PROBES, ...SINKS, ...ABSENT.slice(0, 6)];
    const before = t.logs('js-probe').length;
    const SENDS = 8;
    // Concurrent, each its own conversation: the least loaded replica takes each, so both work.
    // 8 sends of ~20 receivers are more deliveries than the edge's serving floor (128, decision
    // 2197) may hold in flight: a refused one is sent again after its retry-after, as clients do.
    await Promise.all(
      Array.from({ length: SENDS }, (_, i) =>
        sendHonouringRetryAfter(t.control, {
          performative: 'inform',
          receivers: receivers.map((name) => ({ name })),
          content: 'scaled',
          conversationId: `scaled-${i}`,
        }),
      ),
    );
    // Replica 1 is the agent as deployed (no replica number in its config): it logs `got `, the others `replica <n>`.
    const seen = await t.waitFor('the replicas to log every delivery', () => {
      const lines = t
        .logs('js-probe')
        .slice(before)
        .filter((l) => l.startsWith('got '));
      return lines.length >= SENDS ? t.logs('js-probe').slice(before) : undefined;
    });
    const self = (l: string): string => /self=(\S+)/.exec(l)?.[1] ?? l;
    for (const l of seen.filter((x) => x.startsWith('got ') || x.startsWith('replica '))) {
      assert.equal(self(l).replace(/@[^,\s]+$/, ''), 'js-probe', `the entry as sent, never js-probe#r2: ${l}`);
    }
    assert.ok(
      seen.some((l) => l.startsWith('replica 2 ')),
      `replica 2 handled one: ${seen.join(' | ')}`,
    );
  } finally {
    await t.control.scale('js-probe', 1);
  }
});
