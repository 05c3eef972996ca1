/**
 * An instrumented cluster node, as a child process of the cluster tests: the real startNode with
 * the options given as JSON, plus a journal of what the bus reported, one line per event, written
 * synchronously as it fires — a SIGKILL keeps every line written before it (page cache):
 *
 *   S <ms> <pid>                     started
 *   R <ms> <message id> <content>    an inform to the operator (the probes' observations; the id
 *                                    tells a repeated handling's same message from a second one)
 *   C <ms> <delivery id> …           these completions are durable (Kafka committed them)
 *   D <ms> <delivery id>             this node wrote a dead letter for it (every one, not deduplicated)
 *   E <ms>                           stopped cleanly
 *
 *   node node-child.js '<StartNodeOptions JSON>' <journal file>
 * Prints {"event":"serving","address":…,"nodeId":…} on stdout once the API listens; SIGTERM/SIGINT
 * stop the node cleanly.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { startNode } from '@caxton/runtime';
import type { StartNodeOptions } from '@caxton/runtime';

const [json, journal] = process.argv.slice(2);
if (!json || !journal) throw new Error("usage: node-child '<options json>' <journal>");
const options = JSON.parse(json) as StartNodeOptions;
const fd = openSync(journal, 'a');
const write = (line: string): void => void writeSync(fd, `${line}\n`);
write(`S ${Date.now()} ${process.pid}`);

const node = await startNode(options);
node.events.on(
  (e) => {
    if (e.type === 'external' && e.message.performative === 'inform') write(`R ${Date.now()} ${e.messageId} ${e.message.content ?? ''}`);
    else if (e.type === 'completed') write(`C ${Date.now()} ${e.deliveryIds.join(' ')}`);
    else if (e.type === 'dead-lettered') write(`D ${Date.now()} ${e.deliveryId}`);
  },
  ['external', 'completed', 'dead-lettered'],
);
process.stdout.write(`${JSON.stringify({ event: 'serving', address: `${options.apiHost}:${node.apiPort}`, nodeId: node.nodeId })}\n`);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  void node.stop().then(
    () => {
      write(`E ${Date.now()}`);
      closeSync(fd);
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`stop failed: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
