/**
 * An agent's own replay history (decision 2182) on a real node: two durable counters
 * (examples/as-state-counter) take the same traffic on an embedded log of small segments, which
 * retention deletes as the run goes; the node keeps `kept`'s history and not `plain`'s. After the
 * node stops, `caxton replay kept` runs every handling the agent ever had, none differing, while
 * `caxton replay plain` reaches back only as far as the log does.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TestNode } from '../bus/support/test-node.js';
import { parseReplay } from '../support/recorded-run.js';
import { caxton, show } from './support/cli.js';

const COUNTS = 600;
const SEGMENT_BYTES = 64 * 1024;

describe("an agent's own replay history outlives the log's segments (decision 2182)", () => {
  let node: TestNode;

  before(async () => {
    node = await TestNode.start({ embeddedLog: { segmentBytes: SEGMENT_BYTES }, agentReplayHistory: { kept: { seconds: 3600 } } });
    await node.deploy('kept', 'as-state-counter');
    await node.deploy('plain', 'as-state-counter');
    for (let i = 0; i < COUNTS; i++)
      for (const agent of ['kept', 'plain'])
        await node.send({ performative: 'request', receivers: [{ name: agent }], content: '+1', replyWith: `${agent}-${i}` });
    const answered = (agent: string): number => node.external.filter((e) => e.message.inReplyTo?.startsWith(`${agent}-`)).length;
    await node.waitFor('every count answered', () => answered('kept') >= COUNTS && answered('plain') >= COUNTS, 300_000);
    await node.settle();
    await node.stop();
  });
  after(async () => {
    await node?.dispose();
  });

  it("the log deleted segments, and copied the kept agent's out first", async () => {
    const log = path.join(node.dataDir, 'log');
    const segments = (await fs.readdir(log)).filter((n) => n.endsWith('.seg')).map((n) => Number(n.slice(0, -4)));
    const copies = (await fs.readdir(path.join(log, 'agent-history', 'kept')))
      .filter((n) => n.endsWith('.seg'))
      .map((n) => Number(n.slice(0, -4)));
    assert.ok(Math.min(...segments) > 1, `segments deleted: the log starts at ${Math.min(...segments)}`);
    assert.ok(copies.length > 0 && Math.min(...copies) < Math.min(...segments), `copies ${copies.join(' ')} of deleted segments`);
    assert.deepEqual((await fs.readdir(path.join(log, 'agent-history'))).sort(), ['kept'], 'nothing kept for plain');
  });

  it('caxton replay runs every handling of the kept agent, none differing; the other only what the log holds', async (t) => {
    const kept = await caxton(['replay', 'kept', '--data-dir', node.dataDir, '--json']);
    const k = parseReplay(kept.stdout).summary;
    assert.ok(k, show(kept));
    assert.equal(kept.code, 0, show(kept).slice(-3000));
    assert.equal(k.diverged, 0, show(kept).slice(-3000));
    assert.equal(k.crashed, 0);
    assert.ok(k.replayed >= COUNTS, `kept: ${k.replayed} handlings replayed of its ${COUNTS}`);
    const plain = await caxton(['replay', 'plain', '--data-dir', node.dataDir, '--json']);
    const p = parseReplay(plain.stdout).summary;
    assert.ok(p, show(plain));
    assert.equal(p.diverged, 0, show(plain).slice(-3000));
    assert.ok(p.replayed < COUNTS, `plain: ${p.replayed} of its ${COUNTS}, only what the log still holds`);
    t.diagnostic(`kept: ${k.replayed} handlings replayed, plain: ${p.replayed}, of ${COUNTS} each`);
  });
});
