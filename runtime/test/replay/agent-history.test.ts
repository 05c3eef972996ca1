/**
 * One agent's own replay history (decision 2182), on a real embedded log with small segments:
 * retention deletes segments, the named agent's frames are copied out first, and its replay reads
 * every handling it had, while another agent's reaches back only as far as the log does. Its bounds
 * drop the oldest copies, and what is left starts on the state it had there; a reopen goes on where
 * the copies stopped, and a copy cut short by a crash is made again.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { derivedMessageId } from '../../src/bus/ids.js';
import type { EmbeddedMessageLog } from '../../src/log/embedded/index.js';
import { agentHistoryDir, listAgentHistory } from '../../src/log/embedded/agent-history-store.js';
import { segmentFileName } from '../../src/log/embedded/segment-files.js';
import { readEmbeddedHistory } from '../../src/replay/embedded-history.js';
import type { RecordedEvent, RecordedHandling } from '../../src/replay/recorded.js';
import { deliveriesOf, deliveryTo, msg } from './recorded-traffic.js';
import { openLog, segmentFiles, tempDir, waitFor } from '../log/embedded/helpers.js';

const SMALL = 2048; // a few handlings per segment
const HOUR = 3_600_000;

async function readAll(dir: string, agent: string): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for await (const event of readEmbeddedHistory(dir, agent)) events.push(event);
  return events;
}

const handlings = (events: readonly RecordedEvent[]): RecordedHandling[] =>
  events.filter((e): e is RecordedHandling => e.kind === 'handled');
const countOf = (h: RecordedHandling): string | null | undefined => h.state.find((w) => w.key === 'count')?.value;

/**
 * `rounds` handlings of `agent` (each answering bob under an id derived from its delivery and
 * counting in its state) and one of bob's (no state) per round, from `from` on.
 */
async function traffic(log: EmbeddedMessageLog, agent: string, from: number, rounds: number): Promise<void> {
  for (let i = from; i < from + rounds; i++) {
    const d = deliveryTo(agent, `n-${agent}-${i}`, `ping ${i}`);
    await log.append([d]);
    const pong = deliveriesOf(derivedMessageId(d.id, 0), msg(agent, ['bob'], `pong ${i}`));
    await log.append(pong);
    await log.complete([{ id: d.id, receiver: agent, state: [{ key: 'count', value: String(i + 1) }] }]);
    const b = deliveryTo('bob', `n-bob-${i}`, `hi ${i}`, 'carol');
    await log.append([b]);
    await log.complete([...pong, b].map(({ id, receiver }) => ({ id, receiver })));
  }
}

/**
 * Wait until retention deleted every segment but the newest two (a write after the last completion
 * runs it; everything before is completed), having deleted at least `count`.
 */
async function deleted(dir: string, log: EmbeddedMessageLog, count: number): Promise<void> {
  await waitFor(
    `old segments deleted (${log.stats().segmentsDeleted} so far)`,
    async () => (await segmentFiles(dir)).length <= 2 && log.stats().segmentsDeleted >= count,
    60_000,
  );
}

describe("an agent's own replay history (decision 2182)", () => {
  test('segments retention deletes are copied for the named agent: its replay reads every handling, another agent only what the log holds', async (t) => {
    const dir = await tempDir(t, 'caxton-agent-history-');
    const { log } = await openLog(dir, { segmentBytes: SMALL, agentHistory: new Map([['alice', { ms: HOUR, bytes: 1 << 20 }]]) });
    await traffic(log, 'alice', 0, 60);
    await log.append([deliveryTo('carol', 'n-last', 'last')]); // a write after the completions: retention runs
    await deleted(dir, log, 10);
    const copies = await listAgentHistory(agentHistoryDir(dir, 'alice'));
    assert.ok(copies.length >= 5, `copies of deleted segments: ${copies.join(' ')}`);
    const inLog = (await segmentFiles(dir)).map((f) => Number(f.slice(0, -4)));
    assert.ok(Math.min(...inLog) > Math.min(...copies), 'the oldest copies are of segments the log no longer holds');
    assert.equal(await fs.stat(agentHistoryDir(dir, 'bob')).catch(() => undefined), undefined, 'nothing kept for bob');

    const alice = handlings(await readAll(dir, 'alice'));
    assert.equal(alice.length, 60, 'every handling of alice, the deleted segments included');
    assert.deepEqual(
      alice.map(countOf),
      Array.from({ length: 60 }, (_, i) => String(i + 1)),
      'in order, each with its state',
    );
    for (const [i, h] of alice.entries()) {
      assert.equal(h.work.kind === 'message' && h.work.delivery.message.content, `ping ${i}`);
      assert.deepEqual(
        h.sends.map((s) => s.content),
        [`pong ${i}`],
        `handling ${i} with what it sent`,
      );
    }
    const bob = handlings(await readAll(dir, 'bob'));
    assert.ok(bob.length > 0 && bob.length < 60, `bob's history is the log's: ${bob.length} of 60`);
    await log.close();
  });

  test("its bytes drop the oldest copies; what is left starts on the agent's state there, and a kind keeps every key", async (t) => {
    const dir = await tempDir(t, 'caxton-agent-history-');
    const { log } = await openLog(dir, { segmentBytes: SMALL, agentHistory: new Map([['counter', { ms: HOUR, bytes: 4 * SMALL }]]) });
    await traffic(log, 'counter/a', 0, 40);
    await traffic(log, 'counter/b', 100, 40);
    await log.append([deliveryTo('carol', 'n-last', 'last')]);
    await deleted(dir, log, 20);
    const copies = await listAgentHistory(agentHistoryDir(dir, 'counter'));
    let bytes = 0;
    for (const no of copies) bytes += (await fs.stat(path.join(agentHistoryDir(dir, 'counter'), segmentFileName(no)))).size;
    assert.ok(bytes <= 4 * SMALL, `${bytes} bytes of copies kept, at most ${4 * SMALL}`);

    // counter/a's handlings are all in dropped copies or deleted segments: its state, carried by the
    // copies' heads, is what is left.
    const a = await readAll(dir, 'counter/a');
    assert.equal(handlings(a).length, 0);
    const aState = a.filter((e) => e.kind === 'state');
    assert.ok(aState.length > 0, 'its state is carried');
    assert.deepEqual(aState.at(-1), { ...aState.at(-1), reset: true, writes: [{ key: 'count', value: '40' }] });

    // counter/b: a suffix of its handlings, the first on the state the one before it left.
    const b = await readAll(dir, 'counter/b');
    const bHandled = handlings(b);
    assert.ok(bHandled.length > 0 && bHandled.length < 40, `${bHandled.length} of counter/b's 40 handlings kept`);
    const first = Number(countOf(bHandled[0]!));
    assert.deepEqual(
      bHandled.map(countOf),
      Array.from({ length: bHandled.length }, (_, i) => String(first + i)),
      'consecutive',
    );
    const before = b.slice(0, b.indexOf(bHandled[0]!)).filter((e) => e.kind === 'state');
    assert.ok(first > 101, `the oldest of counter/b's handlings were dropped (the first kept counts to ${first})`);
    // A head (reset), or the commit of a handling whose delivery went with a dropped copy.
    assert.equal(
      before.at(-1)?.kind === 'state' ? before.at(-1)!.writes.find((w) => w.key === 'count')?.value : undefined,
      String(first - 1),
      'the state before the first kept handling is the one before it left',
    );
    await log.close();
  });

  test('a copy that fails keeps the segment (a warning, nothing deleted); once the history can be written, it is copied and goes', async (t) => {
    const dir = await tempDir(t, 'caxton-agent-history-');
    const { log, warnings } = await openLog(dir, { segmentBytes: SMALL, agentHistory: new Map([['alice', { ms: HOUR, bytes: 1 << 20 }]]) });
    const historyDir = agentHistoryDir(dir, 'alice');
    // The history's directory replaced by a file: every copy into it fails.
    await fs.rm(historyDir, { recursive: true });
    await fs.writeFile(historyDir, 'not a directory');
    await traffic(log, 'alice', 0, 20);
    await log.append([deliveryTo('carol', 'n-mid', 'mid')]);
    await waitFor('a failed copy reported', () => warnings.some((w) => w.code === 'log.retention-failed'), 60_000);
    assert.equal(log.stats().segmentsDeleted, 0, 'no segment deleted while its copy fails');
    await fs.rm(historyDir);
    await fs.mkdir(historyDir);
    await traffic(log, 'alice', 20, 20);
    await log.append([deliveryTo('carol', 'n-last', 'last')]);
    await deleted(dir, log, 5);
    assert.deepEqual(
      handlings(await readAll(dir, 'alice')).map(countOf),
      Array.from({ length: 40 }, (_, i) => String(i + 1)),
      'every handling kept: none lost to the failed copies',
    );
    await log.close();
  });

  test('a reopen goes on where the copies stopped; a copy past the progress (a crash before it was recorded) is made again', async (t) => {
    const dir = await tempDir(t, 'caxton-agent-history-');
    const options = { segmentBytes: SMALL, agentHistory: new Map([['alice', { ms: HOUR, bytes: 1 << 20 }]]) };
    const first = await openLog(dir, options);
    await traffic(first.log, 'alice', 0, 30);
    await first.log.append([deliveryTo('carol', 'n-mid', 'mid')]);
    await deleted(dir, first.log, 5);
    await first.log.close();
    const historyDir = agentHistoryDir(dir, 'alice');
    const inLog = (await segmentFiles(dir)).map((f) => Number(f.slice(0, -4)));
    // A copy of a segment still in the log, as a crash after its rename and before the progress leaves it.
    const stray = path.join(historyDir, segmentFileName(inLog[0]!));
    await fs.writeFile(stray, 'a copy cut short');
    await fs.writeFile(path.join(historyDir, `${segmentFileName(inLog[0]!)}.tmp`), 'half a copy');

    const second = await openLog(dir, options);
    assert.equal(await fs.stat(stray).catch(() => undefined), undefined, 'the copy past the progress is removed at open');
    await traffic(second.log, 'alice', 30, 30);
    await second.log.append([deliveryTo('carol', 'n-last', 'last')]);
    await deleted(dir, second.log, 5);
    const alice = handlings(await readAll(dir, 'alice'));
    assert.deepEqual(
      alice.map(countOf),
      Array.from({ length: 60 }, (_, i) => String(i + 1)),
      'every handling once, in order, across the reopen',
    );
    assert.deepEqual(
      (await fs.readdir(historyDir)).filter((n) => n.endsWith('.tmp')),
      [],
      'no temporary file left',
    );
    await second.log.close();
  });
});
