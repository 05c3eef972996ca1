/**
 * A cluster node for `density --cluster` (bench/lib-density-cluster.ts) and the kinds cluster tests
 * (test/cluster/kinds-*.test.ts, through KINDS_NODE_CHILD: the tests may use bench/, never the other
 * way round): the real startNode with the options given as JSON, and a journal written
 * synchronously as things happen, so a SIGKILL keeps every line written before it:
 *
 *   S <ms> <pid>                         started
 *   A <ms> <instance>                    an instance of a kind came into memory on this node
 *   D <ms> <instance>                    it left memory here (passivated, or its partition moved)
 *   R <ms> <in-reply-to> <content>       an `inform` to an outside sender, as this node delivered it
 *   F <ms> <in-reply-to> <kind> <reason> a platform `failure` to an outside sender (its X-caxton-failure)
 *   E <ms>                               stopped cleanly
 *
 *   node lib-kinds-node-child.js '<StartNodeOptions JSON>' <journal file>
 * Prints {"event":"serving",…} on stdout once the API listens, then every R and F line as well (the
 * bench waits on them live; the journal file is what it and the tests check afterwards). SIGTERM stops it cleanly.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { startNode, type StartNodeOptions } from '@caxton/runtime';

const [json, journal] = process.argv.slice(2);
if (!json || !journal) throw new Error("usage: lib-kinds-node-child '<options json>' <journal>");
const options = JSON.parse(json) as StartNodeOptions;
const fd = openSync(journal, 'a');
const write = (line: string): void => void writeSync(fd, `${line}\n`);
write(`S ${Date.now()} ${process.pid}`);

const node = await startNode({
  ...options,
  kinds: { ...options.kinds, onResidency: (name, change) => write(`${change === 'activated' ? 'A' : 'D'} ${Date.now()} ${name}`) },
});
node.events.on(
  (e) => {
    if (e.type !== 'external') return;
    const m = e.message;
    // Contents are single-line here (counts, reasons); a newline is flattened so one answer stays one line.
    const content = (m.content ?? '').replace(/\n/g, ' ');
    let line: string | undefined;
    if (m.performative === 'inform') line = `R ${Date.now()} ${m.inReplyTo ?? '-'} ${content}`;
    else if (m.performative === 'failure')
      line = `F ${Date.now()} ${m.inReplyTo ?? '-'} ${m.userParams?.['X-caxton-failure'] ?? '-'} ${content}`;
    if (line === undefined) return;
    write(line);
    process.stdout.write(`${line}\n`); // synchronous on a Linux pipe
  },
  ['external'],
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
