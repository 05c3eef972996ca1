/**
 * Child process of crash-recovery.test.ts: one Caxton node (embedded log, fsync 'always') running
 * pinger/echo pairs, recording what the bus reports, one line per event, straight into a file:
 *   A <delivery id>          accepted (durable) for an agent
 *   H <delivery id>          handled by its agent, outcome ok
 *   C <delivery id> …        completion durable
 *   D <pinger> <chain>       a pinger reported a finished chain to the operator
 * Each line is written synchronously when the event fires: a SIGKILL keeps everything written
 * (it is in the page cache), so the parent reads exactly what had happened before the kill.
 *
 *   node node-child.js start  <dataDir> <records> <pairs> <chains> <rounds>   deploy, start, run
 *   node node-child.js resume <dataDir> <records> <pairs> <chains> <rounds>   restart on the same dir
 * Runs until every chain reported done (counting D lines already in the file), then stops the
 * node and exits 0. Prints "progress <handled>" on stdout every 1000 handled deliveries.
 */
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { startNode } from '@caxton/runtime';
import { agentArtifact } from '../support/artifacts.js';

const [mode, dataDir, records, pairsArg, chainsArg, roundsArg] = process.argv.slice(2);
if ((mode !== 'start' && mode !== 'resume') || !dataDir || !records || !pairsArg || !chainsArg || !roundsArg) {
  throw new Error('usage: node-child start|resume <dataDir> <records> <pairs> <chains> <rounds>');
}
const pairs = Number(pairsArg);
const chains = Number(chainsArg);
const rounds = Number(roundsArg);

const done = new Set<string>();
if (existsSync(records)) {
  for (const line of readFileSync(records, 'utf8').split('\n')) if (line.startsWith('D ')) done.add(line.slice(2));
}
const fd = openSync(records, 'a');
const write = (line: string): void => void writeSync(fd, `${line}\n`);
write(`S ${mode} ${process.pid}`);

const node = await startNode({
  dataDir,
  apiHost: '127.0.0.1',
  apiPort: 0,
  auth: { mode: 'none' },
  api: false,
  fsync: 'always',
});
let handled = 0;
let finish: () => void = () => {};
const finished = new Promise<void>((resolve) => (finish = resolve));
const target = pairs * chains;
node.events.on((e) => {
  if (e.type === 'accepted') {
    for (const r of e.receivers) write(`A ${e.messageId}>${r}`);
  } else if (e.type === 'handled' && e.outcome.status === 'ok') {
    write(`H ${e.deliveryId}`);
    if (++handled % 1000 === 0) process.stdout.write(`progress ${handled}\n`);
  } else if (e.type === 'completed') {
    write(`C ${e.deliveryIds.join(' ')}`);
  } else if (e.type === 'external' && e.message.content?.startsWith('done ')) {
    const key = `${e.message.sender?.name} ${e.message.content.slice(5)}`;
    if (!done.has(key)) {
      done.add(key);
      write(`D ${key}`);
      if (done.size >= target) finish();
    }
  }
});
if (done.size >= target) finish();

if (mode === 'start') {
  const pinger = await agentArtifact('conformance/pinger');
  const echo = await agentArtifact('as-echo');
  for (let i = 0; i < pairs; i++) {
    await node.control.deploy({ name: `pong-${i}`, config: {}, limits: {} }, echo);
    await node.control.deploy(
      { name: `ping-${i}`, config: { peer: `pong-${i}`, rounds: String(rounds), report: 'operator' }, limits: {} },
      pinger,
    );
  }
  process.stdout.write('deployed\n');
  for (let i = 0; i < pairs; i++)
    await node.control.send({ performative: 'request', receivers: [{ name: `ping-${i}` }], content: String(chains) });
}
process.stdout.write('running\n');
await finished;
await node.stop();
write(`E ${handled}`);
closeSync(fd);
process.stdout.write(`finished ${handled}\n`);
