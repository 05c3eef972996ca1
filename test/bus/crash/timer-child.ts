/**
 * Child process of timer-exactly-once.test.ts (issue 24): one Caxton node (embedded log, fsync
 * 'always') running the timer counter (examples/as-timer-counter) as `timer-counter`, driven by the
 * operator. The parent arms a fault point in its environment (CAXTON_FAULT_POINT), so a life ends
 * with SIGKILL exactly at a step boundary of a handling plan. One line per event, written
 * synchronously (a SIGKILL keeps what was written):
 *   S <mode> <pid> <fault point>   a life starts
 *   A <id> <content>               the node accepted (durably) request <id> (reply-with)
 *   G <id>                         the agree (or other answer) to request <id> reached the operator
 *   F <id> <count>                 the inform of the timer armed by request <id> reached the operator
 *   E                              the life ended normally (node stopped)
 *
 *   node timer-child.js start|resume <dataDir> <records> <total> <window> ticks|chain
 * `ticks`: requests "tick 1". `chain`: alternately "tick 1 <note>" (a registry write: the timer,
 * then state) and "note <note>" (state only), notes `<life>.<n>`. Sends until `total` requests
 * were accepted over all lives, at most `window` unanswered at a time (a tick is answered by its
 * timer's inform, a note by its agree); then waits until every request accepted in any life was
 * answered, lets the node settle, stops it and exits 0.
 */
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { startNode } from '@caxton/runtime';
import { agentArtifact } from '../support/artifacts.js';

const AGENT = 'timer-counter';
const [mode, dataDir, records, totalArg, windowArg, plan] = process.argv.slice(2);
if ((mode !== 'start' && mode !== 'resume') || !dataDir || !records || !totalArg || !windowArg || (plan !== 'ticks' && plan !== 'chain')) {
  throw new Error('usage: timer-child start|resume <dataDir> <records> <total> <window> ticks|chain');
}
const total = Number(totalArg);
const window = Number(windowArg);

/** Request id -> whether it is answered by its timer (tick) or by its agree (note). */
const accepted = new Map<string, 'tick' | 'note'>();
const answered = new Set<string>();
/** Every request id the node accepted that this process heard of (accepted, or answered). */
const seen = new Set<string>();
let life = 0;
if (existsSync(records)) {
  for (const line of readFileSync(records, 'utf8').split('\n')) {
    const [kind, id, content] = line.split(' ');
    if (kind === 'S') life++;
    else if (kind === 'A') accepted.set(id!, content === 'note' ? 'note' : 'tick');
    else if (kind === 'F') answered.add(id!);
    else if (kind === 'G' && (id!.endsWith('n') || content !== 'agree')) answered.add(id!);
    if (kind === 'A' || kind === 'F' || kind === 'G') seen.add(id!);
  }
}
const unanswered = new Set([...seen].filter((id) => !answered.has(id)));
const fd = openSync(records, 'a');
const write = (line: string): void => void writeSync(fd, `${line}\n`);
write(`S ${mode} ${process.pid} ${process.env['CAXTON_FAULT_POINT'] ?? '-'}`);

const node = await startNode({ dataDir, apiHost: '127.0.0.1', apiPort: 0, auth: { mode: 'none' }, api: false, fsync: 'always' });
let wake: () => void = () => {};
const answer = (id: string): void => {
  seen.add(id);
  answered.add(id);
  unanswered.delete(id);
  wake();
};
node.events.on(
  (e) => {
    if (e.type !== 'external' || e.message.inReplyTo === undefined) return;
    const id = e.message.inReplyTo;
    if (e.message.performative === 'inform') {
      write(`F ${id} ${e.message.content ?? ''}`);
      answer(id);
    } else {
      write(`G ${id} ${e.message.performative}`);
      // A note is answered by its agree (ids of notes end in n, of ticks in t); any other answer
      // (refuse, failure) ends the wait too, and the parent fails on it.
      if (e.message.performative !== 'agree' || id.endsWith('n')) answer(id);
      else if (!answered.has(id)) {
        // A tick accepted in an earlier life just before its kill (no A line): its timer is awaited too.
        seen.add(id);
        unanswered.add(id);
      }
    }
  },
  ['external'],
);
const changed = (): Promise<void> => new Promise((resolve) => (wake = resolve));
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

if (mode === 'start') {
  await node.control.deploy({ name: AGENT, config: {}, limits: {} }, await agentArtifact('as-timer-counter'));
}
process.stdout.write('running\n');

let n = 0;
while (accepted.size < total) {
  if (unanswered.size >= window) {
    await Promise.race([changed(), pause(50)]);
    continue;
  }
  const note = plan === 'chain' && n % 2 === 1;
  const id = `q${life}-${n}${note ? 'n' : 't'}`;
  const content = plan === 'ticks' ? 'tick 1' : note ? `note ${life}.${n}` : `tick 1 ${life}.${n}`;
  n++;
  await node.control.send({ performative: 'request', receivers: [{ name: AGENT }], replyWith: id, content });
  accepted.set(id, note ? 'note' : 'tick');
  seen.add(id);
  if (!answered.has(id)) unanswered.add(id);
  write(`A ${id} ${note ? 'note' : 'tick'}`);
}
// Every request the node accepted (in any life: also one accepted just before a kill, whose A line
// was not written) is answered, and its handling and its timer's firing are committed: the
// committed counts reach the requests known. (An answer alone proves nothing: it leaves before
// the commit point.)
const committedAtLeast = async (key: string, n: number): Promise<boolean> => Number((await node.control.getState(AGENT, key)) ?? '0') >= n;
const ticks = (): number => [...seen].filter((id) => id.endsWith('t')).length;
// In a chain every request leaves a note.
const notesAtLeast = async (n: number): Promise<boolean> =>
  plan !== 'chain' || ((await node.control.getState(AGENT, 'notes')) ?? '').split(';').length - 1 >= n;
while (
  unanswered.size > 0 ||
  !(await committedAtLeast('armed', ticks())) ||
  !(await committedAtLeast('count', ticks())) ||
  !(await notesAtLeast(seen.size))
) {
  await Promise.race([changed(), pause(50)]);
}
// A timer re-fired at this start whose firing had committed is only forgotten (registry delete,
// then its done marker cleared) outside any handling: give that a moment before stopping.
await pause(300);
await node.stop();
write('E');
closeSync(fd);
process.stdout.write(`finished ${answered.size}\n`);
