/**
 * SIGKILL during a topic fan-out (issue 27): a publisher agent's handling publishes to a topic
 * with eight subscribers, and the node is killed at `before-commit` of that handling — its
 * publish (one append carrying all eight deliveries, decision 1960) is durable, the commit point of
 * the command that caused it is not. The next life replays: the command is handled again and
 * publishes again under the same derived id, which the log drops as a duplicate. Child:
 * crash/topic-child.ts (real node, embedded log, fsync 'always', real sandboxed puppets). Asserted:
 *   - the kill came mid-fan-out: the first command was handled and its publish was durable in the
 *     first life, and the command's completion was not;
 *   - the command was handled again in the second life (the fan-out was redone): its publish came
 *     back under the same message id with every delivery a duplicate, so every command has exactly
 *     one publish and each of its deliveries was accepted once;
 *   - every subscriber handled every publish, and nothing completed before the kill was handled
 *     again; nothing is left pending in the log and nothing was dead-lettered.
 * A second run kills the node at the next commit point instead, after the subscribers handled the
 * first publish and before any of those handlings committed: they are handled again after the
 * kill, and the same holds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedMessageLog } from '@caxton/runtime';
import { runLives } from './support/lives.js';

const SUBSCRIBERS = 8;
const PUBLISHES = 5;
const subscribers = Array.from({ length: SUBSCRIBERS }, (_, i) => `sub-${i}`);

interface LifeRecords {
  accepted: { id: string; tag: string; receivers: string[] }[];
  handled: { delivery: string; agent: string }[];
  completed: Set<string>;
}

function parse(text: string): LifeRecords[] {
  const lives: LifeRecords[] = [];
  for (const line of text.split('\n')) {
    const [kind, a, b, c] = line.split(' ');
    if (kind === 'S') lives.push({ accepted: [], handled: [], completed: new Set() });
    const life = lives.at(-1);
    if (life === undefined) continue;
    if (kind === 'A') life.accepted.push({ id: a!, tag: b!, receivers: (c ?? '').split(',').filter((r) => r !== '') });
    else if (kind === 'H') life.handled.push({ delivery: a!, agent: b! });
    else if (kind === 'C') for (const id of line.split(' ').slice(1)) life.completed.add(id);
  }
  return lives;
}

/** Two lives of the child, the first killed at `fault`; what each recorded. */
async function run(fault: string, check: (one: LifeRecords, two: LifeRecords) => Promise<void>): Promise<void> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'caxton-topic-crash-'));
  const records = path.join(dataDir, 'records.txt');
  const nodeDir = path.join(dataDir, 'node');
  try {
    const lives = await runLives({
      child: 'topic-child.js',
      args: (mode) => [mode, nodeDir, records, String(SUBSCRIBERS), String(PUBLISHES)],
      faultPoint: (done) => (done.length === 0 ? fault : undefined),
      maxLives: 2,
    });
    assert.deepEqual(
      lives.map((l) => l.signal ?? l.code),
      ['SIGKILL', 0],
    );
    const [one, two, ...extra] = parse(await readFile(records, 'utf8'));
    assert.ok(one && two && extra.length === 0, 'two lives recorded');
    await check(one, two);

    // Every accepted command has exactly one publish, its deliveries accepted once each, to every subscriber.
    const accepted = [...one.accepted, ...two.accepted];
    const commands = new Set(accepted.filter((a) => a.tag.startsWith('cmd:')).map((a) => a.tag.slice(4)));
    assert.equal(commands.size, PUBLISHES, 'every command accepted over the two lives');
    const publishes = new Map<string, Set<string>>();
    const deliveriesAccepted: string[] = [];
    for (const a of accepted.filter((x) => /^n-\d+$/.test(x.tag))) {
      publishes.set(a.tag, (publishes.get(a.tag) ?? new Set()).add(a.id));
      for (const r of a.receivers) deliveriesAccepted.push(`${a.id}>${r}`);
      if (a.receivers.length > 0)
        assert.deepEqual([...a.receivers].sort(), [...subscribers].sort(), `${a.tag} reaches every subscriber in one append`);
    }
    assert.deepEqual([...publishes.keys()].sort(), [...commands].sort(), 'one publish per accepted command, no other');
    for (const [tag, ids] of publishes) assert.equal(ids.size, 1, `${tag} was published under ${ids.size} message ids`);
    assert.equal(new Set(deliveriesAccepted).size, deliveriesAccepted.length, 'a publish delivery accepted twice');
    assert.equal(deliveriesAccepted.length, PUBLISHES * SUBSCRIBERS);

    // Every subscriber handled every publish; nothing completed before the kill was handled again.
    const handledBySubs = new Set([...one.handled, ...two.handled].filter((h) => h.agent.startsWith('sub-')).map((h) => h.delivery));
    const expected = [...publishes.values()].flatMap((ids) => subscribers.map((s) => `${[...ids][0]}>${s}`));
    assert.deepEqual(
      expected.filter((d) => !handledBySubs.has(d)),
      [],
      'deliveries of a publish never handled',
    );
    assert.equal(handledBySubs.size, expected.length, 'subscribers handled something besides the publishes');
    const redone = two.handled.filter((h) => one.completed.has(h.delivery));
    assert.deepEqual(redone, [], 'completed before the kill, handled again after it');
    for (const life of [one, two]) {
      const ids = life.handled.map((h) => h.delivery);
      assert.equal(new Set(ids).size, ids.length, 'a delivery handled twice within one life');
    }

    const log = new EmbeddedMessageLog({ dir: path.join(nodeDir, 'log') });
    log.events.on(() => {}, ['warning']);
    await log.open();
    try {
      assert.equal(log.stats().pending, 0, 'deliveries left pending in the log');
      assert.deepEqual(await log.deadLetters(), []);
    } finally {
      await log.close();
    }
    process.stdout.write(
      `# topic fan-out crash at ${fault}: ${commands.size} publishes to ${SUBSCRIBERS} subscribers; life 1 handled ${one.handled.length}, life 2 ${two.handled.length}\n`,
    );
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** The first command, its delivery to pub, and its one durable publish in the first life. */
function firstCommand(one: LifeRecords): { delivery: string; publish: { id: string; receivers: string[] } } {
  const command = one.accepted.find((a) => a.tag === 'cmd:n-0');
  assert.ok(command, 'the first command was accepted in the first life');
  const publish = one.accepted.filter((a) => a.tag === 'n-0');
  assert.equal(publish.length, 1, 'the first publish was durable before the kill');
  assert.deepEqual([...publish[0]!.receivers].sort(), [...subscribers].sort(), 'one append carries every subscriber');
  return { delivery: `${command.id}>pub`, publish: publish[0]! };
}

// The first handling to reach its commit point is pub's first command (the subscribers have nothing yet).
test('SIGKILL at the commit point of a publishing handling: the fan-out is redone, each subscriber handles each publish once', {
  timeout: 120_000,
}, async () => {
  await run('before-commit:1', async (one, two) => {
    const first = firstCommand(one);
    assert.ok(
      one.handled.some((h) => h.delivery === first.delivery),
      'pub handled the first command before the kill',
    );
    assert.ok(!one.completed.has(first.delivery), 'the first command was not completed before the kill');
    // ...and the fan-out was redone: the second life handled the command again, and its publish
    // came back under the same id with no delivery accepted again (all eight were duplicates).
    assert.ok(
      two.handled.some((h) => h.delivery === first.delivery),
      'the second life handled the first command again',
    );
    assert.deepEqual(
      two.accepted.filter((a) => a.tag === 'n-0').map((a) => [a.id, a.receivers]),
      [[first.publish.id, []]],
      'the redone publish: the same message id, every delivery a duplicate',
    );
  });
});

// The second: the subscribers' first batch, after they handled the first publish.
test("SIGKILL at the subscribers' commit point: their handled, uncommitted deliveries are handled again, each once per life, none lost", {
  timeout: 120_000,
}, async () => {
  await run('before-commit:2', async (one, two) => {
    const first = firstCommand(one);
    const handledBefore = one.handled.filter((h) => h.agent.startsWith('sub-') && h.delivery.startsWith(`${first.publish.id}>`));
    assert.ok(handledBefore.length > 0, 'subscribers handled the first publish before the kill');
    const uncommitted = handledBefore.filter((h) => !one.completed.has(h.delivery));
    assert.ok(uncommitted.length > 0, 'the kill came before some of those handlings committed');
    const again = new Set(two.handled.map((h) => h.delivery));
    assert.deepEqual(
      uncommitted.filter((h) => !again.has(h.delivery)),
      [],
      'handled but not committed before the kill, and not handled again',
    );
  });
});
