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
import type { EmbeddedMessageLog } from '../../src/log/embedded/index.js';
import { agentHistoryDir, listAgentHistory } from '../../src/log/embedded/agent-history-store.js';
import { segmentFileName } from '../../src/log/embedded/segment-files.js';
import { readEmbeddedHistory } from '../../src/replay/embedded-history.js';
import type { RecordedEvent } from '../../src/replay/recorded.js';
import { deliveryTo } from './recorded-traffic.js';
import { SMALL, assertHeadsInStep, countOf, counts, handlings, indexOf, readAll, traffic } from './agent-history-traffic.js';
import { openLog, segmentFiles, tempDir, waitFor } from '../log/embedded/helpers.js';

const HOUR = 3_600_000;

/**
 * Wait until retention deleted every segment but the newest two (a write after the last completion
 * runs it; everything before is completed), having deleted at least `count`. How many segments the
 * traffic fills is not fixed — the retention snapshots compaction writes take room in the active
 * segment, and how many are written depends on when retention ran — so `count` is a floor well
 * below what the traffic makes (80 rounds made 19 to 22 segments here), not a count of them.
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

    const events = await readAll(dir, 'alice');
    const alice = handlings(events);
    assert.equal(alice.length, 60, 'every handling of alice, the deleted segments included');
    assertHeadsInStep(events);
    assert.deepEqual(alice.map(countOf), counts(0, 60), 'in order, each with its state');
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
    await deleted(dir, log, 12);
    // A copy is written before the oldest ones are dropped (the newest must be durable first), so
    // while retention still works on the last closed segment the copies may be over the bound for
    // a moment: the bound holds once it has had its turn.
    await waitFor(
      `the copies within ${4 * SMALL} bytes`,
      async () => {
        let bytes = 0;
        for (const no of await listAgentHistory(agentHistoryDir(dir, 'counter')))
          bytes += (await fs.stat(path.join(agentHistoryDir(dir, 'counter'), segmentFileName(no))).catch(() => ({ size: 0 }))).size;
        return bytes <= 4 * SMALL;
      },
      60_000,
    );

    // counter/a's handlings are all in dropped copies or deleted segments: its state, carried by the
    // copies' heads, is what is left.
    const a = await readAll(dir, 'counter/a');
    assert.equal(handlings(a).length, 0);
    const aState = a.filter((e) => e.kind === 'state');
    assert.ok(aState.length > 0, 'its state is carried');
    assert.deepEqual(aState.at(-1), { ...aState.at(-1), reset: true, writes: [{ key: 'count', value: '40' }] });

    // counter/b: a suffix of its handlings, the first on the state the ones before it left.
    const b = await readAll(dir, 'counter/b');
    const bHandled = handlings(b);
    assert.ok(bHandled.length > 0 && bHandled.length < 40, `${bHandled.length} of counter/b's 40 handlings kept`);
    const first = indexOf(bHandled[0]!);
    assert.ok(first > 101, `the oldest of counter/b's handlings were dropped (the first kept is ${first})`);
    assert.deepEqual(
      bHandled.map(indexOf),
      Array.from({ length: bHandled.length }, (_, i) => first + i),
      'consecutive',
    );
    assert.deepEqual(bHandled.map(countOf), counts(first, bHandled.length), 'each with its state');
    const before = b.slice(0, b.indexOf(bHandled[0]!)).filter((e) => e.kind === 'state');
    let wrote = first - 1; // the last one before it that wrote its count
    while (wrote % 3 === 2) wrote--;
    // A head (reset), or the commit of a handling whose delivery went with a dropped copy.
    assert.equal(
      before.at(-1)?.kind === 'state' ? before.at(-1)!.writes.find((w) => w.key === 'count')?.value : undefined,
      String(wrote + 1),
      'the state before the first kept handling is the one before it left',
    );
    assertHeadsInStep(b);
    await log.close();
  });

  test('a copy or its progress that fails keeps the segment and moves nothing: once written, every handling is there, each copy on the state before it', async (t) => {
    const dir = await tempDir(t, 'caxton-agent-history-');
    const options = { segmentBytes: SMALL, agentHistory: new Map([['alice', { ms: HOUR, bytes: 1 << 20 }]]) };
    const { log, warnings } = await openLog(dir, options);
    const historyDir = agentHistoryDir(dir, 'alice');
    const failed = (): number => warnings.filter((w) => w.code === 'log.retention-failed').length;
    // The history's directory replaced by a file: every copy into it fails.
    await fs.rm(historyDir, { recursive: true });
    await fs.writeFile(historyDir, 'not a directory');
    await traffic(log, 'alice', 0, 20);
    await log.append([deliveryTo('carol', 'n-1', 'one')]);
    await waitFor('a failed copy reported', () => failed() > 0, 60_000);
    assert.equal(log.stats().segmentsDeleted, 0, 'no segment deleted while its copy fails');
    // Copies can be written, their progress cannot (a directory where it goes).
    await fs.rm(historyDir);
    await fs.mkdir(path.join(historyDir, 'progress.json', 'in-the-way'), { recursive: true });
    const before = failed();
    await traffic(log, 'alice', 20, 10);
    await log.append([deliveryTo('carol', 'n-2', 'two')]);
    await waitFor('a failed progress reported', () => failed() > before, 60_000);
    assert.equal(log.stats().segmentsDeleted, 0, 'no segment deleted while its progress fails');
    await fs.rm(path.join(historyDir, 'progress.json'), { recursive: true });
    await traffic(log, 'alice', 30, 10);
    await log.append([deliveryTo('carol', 'n-3', 'three')]);
    await deleted(dir, log, 5);
    await log.close();
    // And across a reopen, the progress is what the copies say.
    const reopened = await openLog(dir, options);
    await traffic(reopened.log, 'alice', 40, 10);
    await reopened.log.append([deliveryTo('carol', 'n-4', 'four')]);
    await deleted(dir, reopened.log, 2);
    const events = await readAll(dir, 'alice');
    assert.deepEqual(handlings(events).map(countOf), counts(0, 50), 'every handling kept once, none lost to the failed copies');
    assertHeadsInStep(events);
    await reopened.log.close();
  });

  test("a segment deleted while a replay reads the log is read from the agent's copy of it", async (t) => {
    const dir = await tempDir(t, 'caxton-agent-history-');
    // Kept as the node's history: nothing deleted while the traffic is written.
    const { log } = await openLog(dir, { segmentBytes: SMALL, historyMs: HOUR, historyBytes: 1 << 30 });
    await traffic(log, 'alice', 0, 30);
    await log.close();
    const whole = await readAll(dir, 'alice');
    const segments = await segmentFiles(dir);
    assert.ok(segments.length >= 4, `${segments.length} segments`);
    // Retention's order, while a read is under way: the copy is made, then the segment deleted.
    const events: RecordedEvent[] = [];
    const reading = readEmbeddedHistory(dir, 'alice');
    const first = await reading.next();
    assert.equal(first.done, false);
    events.push(first.value as RecordedEvent);
    const gone = segments[2]!;
    await fs.mkdir(agentHistoryDir(dir, 'alice'), { recursive: true });
    await fs.copyFile(path.join(dir, gone), path.join(agentHistoryDir(dir, 'alice'), gone));
    await fs.rm(path.join(dir, gone));
    for await (const event of { [Symbol.asyncIterator]: () => reading }) events.push(event);
    assert.deepEqual(events, whole, 'the same history, its third segment read from the copy');
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
    // A copy of the next segment to go (still in the log), as a crash after its rename and before
    // its progress leaves it.
    const { through } = JSON.parse(await fs.readFile(path.join(historyDir, 'progress.json'), 'utf8')) as { through: number };
    assert.ok((await segmentFiles(dir)).includes(segmentFileName(through + 1)), `segment ${through + 1} is still in the log`);
    const stray = path.join(historyDir, segmentFileName(through + 1));
    await fs.writeFile(stray, 'a copy cut short');
    await fs.writeFile(path.join(historyDir, `${segmentFileName(through + 1)}.tmp`), 'half a copy');

    const second = await openLog(dir, options);
    assert.equal(await fs.stat(stray).catch(() => undefined), undefined, 'the copy past the progress is removed at open');
    await traffic(second.log, 'alice', 30, 30);
    await second.log.append([deliveryTo('carol', 'n-last', 'last')]);
    await deleted(dir, second.log, 5);
    const events = await readAll(dir, 'alice');
    assert.deepEqual(handlings(events).map(countOf), counts(0, 60), 'every handling once, in order, across the reopen');
    assertHeadsInStep(events);
    assert.deepEqual(
      (await fs.readdir(historyDir)).filter((n) => n.endsWith('.tmp')),
      [],
      'no temporary file left',
    );
    await second.log.close();
  });
});
