/**
 * Child process of agent-kinds.test.ts: a node (embedded log, fsync 'always') with the state
 * counter deployed as a kind whose instances passivate after 150 ms idle. It sends one `request`
 * to each key given, waits for every answer and then for every instance to be passivated, prints
 * "passivated", and waits to be killed (SIGKILL, by the test) without stopping the node.
 *
 *   node kinds-child.js <dataDir> deploy|reuse <key>...
 */
import { startNode } from '@caxton/runtime';
import { agentArtifact } from '../support/artifacts.js';

const [dataDir, mode, ...keys] = process.argv.slice(2);
if (!dataDir || (mode !== 'deploy' && mode !== 'reuse') || keys.length === 0)
  throw new Error('usage: kinds-child <dataDir> deploy|reuse <key>...');

const node = await startNode({ dataDir, apiHost: '127.0.0.1', apiPort: 0, auth: { mode: 'none' }, api: false, fsync: 'always' });
if (mode === 'deploy') {
  await node.control.deploy({ name: 'counter', config: {}, limits: {}, kind: { idleMs: 150 } }, await agentArtifact('as-state-counter'));
}
const answers = new Map<string, string>();
node.events.on((e) => {
  if (e.type === 'external' && e.message.inReplyTo !== undefined) answers.set(e.message.inReplyTo, e.message.content ?? '');
});
for (const key of keys)
  await node.control.send({ performative: 'request', receivers: [{ name: `counter/${key}` }], replyWith: key, content: 'count' });
const until = async (probe: () => boolean | Promise<boolean>): Promise<void> => {
  const deadline = Date.now() + 15_000;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};
await until(() => keys.every((k) => answers.has(k)));
process.stdout.write(`answers ${keys.map((k) => `${k}=${answers.get(k)}`).join(' ')}\n`);
// Every instance passivated (none in memory): the kill follows at once, and must lose nothing.
await until(async () => {
  const kind = (await node.control.getAgent('counter'))?.kind;
  return kind !== undefined && kind.active === 0 && kind.passivated >= keys.length;
});
process.stdout.write('passivated\n');
setInterval(() => {}, 1_000); // stay up until killed
