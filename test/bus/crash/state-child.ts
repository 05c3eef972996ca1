/**
 * Child process of state-exactly-once.test.ts: one Caxton node (embedded log, fsync 'always')
 * running the state counter (examples/as-state-counter), driven by the operator with `request`s.
 * One line per event, written synchronously (a SIGKILL keeps what was written):
 *   S <mode> <pid>             a life starts
 *   A <request id>             the node accepted (durably) this request
 *   R <in-reply-to> <count>    the counter's reply reached the operator
 *
 *   node state-child.js start|resume <dataDir> <records> <total> <window>
 * Sends requests (reply-with `q<life>-<n>`, 16 at a time) until `total` were accepted over all
 * lives, keeping at most `window` unanswered; then waits until every accepted request was answered, stops the node
 * and exits 0. Prints "progress <replies>" every 500 replies.
 */
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { startNode } from '@caxton/runtime';
import { agentArtifact } from '../support/artifacts.js';
import { sendHonouringRetryAfter } from '../support/overload-retry.js';

const [mode, dataDir, records, totalArg, windowArg] = process.argv.slice(2);
if ((mode !== 'start' && mode !== 'resume') || !dataDir || !records || !totalArg || !windowArg) {
  throw new Error('usage: state-child start|resume <dataDir> <records> <total> <window>');
}
const total = Number(totalArg);
const window = Number(windowArg);

const accepted = new Set<string>();
const answered = new Set<string>();
let life = 0;
if (existsSync(records)) {
  for (const line of readFileSync(records, 'utf8').split('\n')) {
    if (line.startsWith('S ')) life++;
    else if (line.startsWith('A ')) accepted.add(line.slice(2));
    else if (line.startsWith('R ')) answered.add(line.split(' ')[1]!);
  }
}
/** Accepted (in any life) and not yet answered. */
const unanswered = new Set([...accepted].filter((id) => !answered.has(id)));
const fd = openSync(records, 'a');
const write = (line: string): void => void writeSync(fd, `${line}\n`);
write(`S ${mode} ${process.pid}`);

const node = await startNode({ dataDir, apiHost: '127.0.0.1', apiPort: 0, auth: { mode: 'none' }, api: false, fsync: 'always' });
let progress = 0;
const waiters: (() => void)[] = [];
node.events.on((e) => {
  if (e.type !== 'external' || e.message.inReplyTo === undefined) return;
  write(`R ${e.message.inReplyTo} ${e.message.content ?? ''}`);
  answered.add(e.message.inReplyTo);
  unanswered.delete(e.message.inReplyTo);
  if (++progress % 500 === 0) process.stdout.write(`progress ${answered.size}\n`);
  for (const w of waiters.splice(0)) w();
});
const changed = (): Promise<void> => new Promise((resolve) => void waiters.push(resolve));

if (mode === 'start') {
  await node.control.deploy({ name: 'counter', config: {}, limits: {} }, await agentArtifact('as-state-counter'));
}
process.stdout.write('running\n');

// Several sends in flight at once, as many clients would have: their appends share group commits
// (one send at a time waits a whole fdatasync each), and a kill lands among appends in flight.
const SENDERS = 16;
let n = 0;
const sender = async (): Promise<void> => {
  while (accepted.size < total) {
    if (unanswered.size >= window) {
      await Promise.race([changed(), new Promise((r) => setTimeout(r, 50))]);
      continue;
    }
    const id = `q${life}-${n++}`;
    await sendHonouringRetryAfter(node.control, {
      performative: 'request',
      receivers: [{ name: 'counter' }],
      replyWith: id,
      content: 'count',
    });
    accepted.add(id);
    if (!answered.has(id)) unanswered.add(id);
    write(`A ${id}`);
  }
};
await Promise.all(Array.from({ length: SENDERS }, sender));
// Every accepted request is answered (those accepted in an earlier life were replayed at start).
while (unanswered.size > 0) await Promise.race([changed(), new Promise((r) => setTimeout(r, 50))]);
await node.stop();
closeSync(fd);
process.stdout.write(`finished ${answered.size}\n`);
