/**
 * Child process of topic-fanout-crash.test.ts (issue 27): one Caxton node (embedded log, fsync
 * 'always'): a puppet `pub` that publishes to `topic:news` on each operator command, and puppets
 * `sub-<i>` subscribed to that topic. The parent arms a fault point (CAXTON_FAULT_POINT), so a
 * life can end with SIGKILL exactly at a step boundary of a handling plan. One line per event,
 * written synchronously (a SIGKILL keeps what was written):
 *   S <mode> <pid> <fault point>          a life starts
 *   A <message id> <tag> <receivers,…>    an append became durable; tag `cmd:n-<i>` for a command
 *                                         to pub, `n-<i>` for a publish
 *   H <delivery id> <agent>               handled, outcome ok
 *   C <delivery id> …                     completion durable
 *   E                                     the life ended normally (node stopped)
 *
 *   node topic-child.js start|resume <dataDir> <records> <subscribers> <publishes>
 * `start` deploys and subscribes; both modes send the commands no earlier life had accepted, then
 * wait until every subscriber handled every publish of a command accepted in any life, stop the
 * node (which lets it settle) and exit 0.
 */
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { parseIdempotencyKey } from '@caxton/core';
import { startNode } from '@caxton/runtime';
import { agentArtifact } from '../support/artifacts.js';

const TOPIC = 'news';
const [mode, dataDir, records, subscribersArg, publishesArg] = process.argv.slice(2);
if ((mode !== 'start' && mode !== 'resume') || !dataDir || !records || !subscribersArg || !publishesArg) {
  throw new Error('usage: topic-child start|resume <dataDir> <records> <subscribers> <publishes>');
}
const subscribers = Array.from({ length: Number(subscribersArg) }, (_, i) => `sub-${i}`);
const publishes = Number(publishesArg);

/** Commands accepted (their tag n-<i>), publishes by message id -> tag, subscribers' handled deliveries. */
const commands = new Set<string>();
const publishOf = new Map<string, string>();
const handled = new Set<string>();
const note = (line: string): void => {
  const [kind, a, b] = line.split(' ');
  if (kind === 'A' && a !== undefined && b !== undefined) {
    if (b.startsWith('cmd:')) commands.add(b.slice(4));
    else publishOf.set(a, b);
  } else if (kind === 'H' && a !== undefined) handled.add(a);
};
if (existsSync(records)) for (const line of readFileSync(records, 'utf8').split('\n')) note(line);
const fd = openSync(records, 'a');
const write = (line: string): void => {
  writeSync(fd, `${line}\n`);
  note(line);
};
write(`S ${mode} ${process.pid} ${process.env['CAXTON_FAULT_POINT'] ?? '-'}`);

/** Every command's publish reached every subscriber (as far as this node has seen). */
function allDelivered(): boolean {
  const published = new Map([...publishOf].map(([id, tag]) => [tag, id]));
  for (const tag of commands) {
    const id = published.get(tag);
    if (id === undefined || !subscribers.every((s) => handled.has(`${id}>${s}`))) return false;
  }
  return commands.size > 0;
}

const node = await startNode({
  dataDir,
  apiHost: '127.0.0.1',
  apiPort: 0,
  auth: { mode: 'none' },
  api: false,
  fsync: 'always',
});
node.events.on(
  (e) => {
    if (e.type === 'accepted') {
      // Told by its content, not by the deliveries accepted: a duplicate is accepted with none.
      const command = /^performative=inform\nto=topic:\S+\ncontent=(n-\d+)$/.exec(e.message.content ?? '')?.[1];
      const tag = command !== undefined ? `cmd:${command}` : (e.message.content ?? '-').replace(/\s/g, '_');
      write(`A ${e.messageId} ${tag} ${e.receivers.join(',')}`);
    } else if (e.type === 'handled' && e.outcome.status === 'ok') {
      write(`H ${e.deliveryId} ${e.agent}`);
    } else if (e.type === 'completed') {
      write(`C ${e.deliveryIds.join(' ')}`);
    }
  },
  ['accepted', 'handled', 'completed'],
);

if (mode === 'start') {
  const puppet = await agentArtifact('conformance/puppet');
  for (const name of ['pub', ...subscribers]) await node.control.deploy({ name, config: {}, limits: {} }, puppet);
  for (const s of subscribers) await node.topics.subscribe(s, TOPIC);
  process.stdout.write('deployed\n');
}
const deadline = Date.now() + 50_000;
async function untilAllDelivered(): Promise<void> {
  while (!allDelivered()) {
    if (Date.now() > deadline)
      throw new Error(
        `not every publish reached every subscriber: ${commands.size} commands, ${publishOf.size} publishes, ${handled.size} handled`,
      );
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
process.stdout.write('running\n');
// Commands whose acceptance no earlier life recorded are sent now, each with an idempotency key
// (decision 1700): a command made durable just before a kill, before its A line was written, is
// then the same message when sent again, not a second command. Each is sent after the last one's
// publish reached every subscriber, so the order in which handlings reach their commit points is
// fixed (pub's command, then the subscribers', then pub's next) and a fault point's count names
// one step of the fan-out.
for (let i = 0; i < publishes; i++) {
  if (commands.has(`n-${i}`)) continue;
  if (commands.size > 0) await untilAllDelivered();
  await node.control.send(
    {
      performative: 'request',
      receivers: [{ name: 'pub' }],
      userParams: { 'X-puppet': 'do' },
      content: `performative=inform\nto=topic:${TOPIC}\ncontent=n-${i}`,
    },
    { idempotency: { caller: 'topic-crash-test', key: parseIdempotencyKey(`command-n-${i}`)! } },
  );
}
await untilAllDelivered();
await node.stop();
write('E');
closeSync(fd);
process.stdout.write('finished\n');
