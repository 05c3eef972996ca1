/**
 * An instrumented cluster node for the kinds tests (decision 2060): the real startNode with the
 * options given as JSON, and a journal written synchronously as things happen (a SIGKILL keeps
 * every line written before it):
 *
 *   S <ms> <pid>                         started
 *   A <ms> <instance>                    an instance of a kind came into memory on this node
 *   D <ms> <instance>                    it left memory here (passivated, or its partition moved)
 *   R <ms> <in-reply-to> <content>       an answer to an outside sender, as this node delivered it
 *   E <ms>                               stopped cleanly
 *
 *   node kinds-node-child.js '<StartNodeOptions JSON>' <journal file>
 * Prints {"event":"serving",…} on stdout once the API listens; SIGTERM/SIGINT stop it cleanly.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { startNode } from '@caxton/runtime';
import type { StartNodeOptions } from '@caxton/runtime';

const [json, journal] = process.argv.slice(2);
if (!json || !journal) throw new Error("usage: kinds-node-child '<options json>' <journal>");
const options = JSON.parse(json) as StartNodeOptions;
const fd = openSync(journal, 'a');
const write = (line: string): void => void writeSync(fd, `${line}\n`);
write(`S ${Date.now()} ${process.pid}`);

const node = await startNode({
  ...options,
  kinds: { ...options.kinds, onResidency: (name, change) => write(`${change === 'activated' ? 'A' : 'D'} ${Date.now()} ${name}`) },
});
node.events.on((e) => {
  if (e.type === 'external' && e.message.performative === 'inform') write(`R ${Date.now()} ${e.message.inReplyTo ?? '-'} ${e.message.content ?? ''}`);
}, ['external']);
process.stdout.write(`${JSON.stringify({ event: 'serving', address: `${options.apiHost}:${node.apiPort}`, nodeId: node.nodeId })}\n`);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  void node.stop().then(() => {
    write(`E ${Date.now()}`);
    closeSync(fd);
    process.exit(0);
  }, (err: unknown) => {
    process.stderr.write(`stop failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
