/**
 * Child process of http-crash.test.ts (issue 24): one Caxton node (embedded log, fsync 'always')
 * running the HTTP example agent (examples/js-http-agent) as `lookup`, whose service is the parent's
 * local HTTP server. The parent may arm a fault point (CAXTON_FAULT_POINT). One line per event,
 * written synchronously:
 *   S <mode> <pid> <fault point>   a life starts
 *   A <reply-with>                 the node accepted the request
 *   R <in-reply-to> <performative> <content>   an answer reached the operator
 *   E                              the life ended normally
 *
 *   node http-child.js start|resume <dataDir> <records> <service-url> <port> <content> [<wait-for>…]
 * Sends one request (reply-with `r<life>`, the given content), then waits until every reply-with
 * named in <wait-for> (and its own) was answered, in any life; stops the node and exits 0.
 */
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { startNode, nodeDefaultHttpPolicy } from '@caxton/runtime';
import { agentArtifact } from '../support/artifacts.js';

const [mode, dataDir, records, serviceUrl, portArg, content, ...waitFor] = process.argv.slice(2);
if ((mode !== 'start' && mode !== 'resume') || !dataDir || !records || !serviceUrl || !portArg || !content) {
  throw new Error('usage: http-child start|resume <dataDir> <records> <service-url> <port> <content> [<wait-for>…]');
}
const answered = new Set<string>();
let life = 0;
if (existsSync(records)) {
  for (const line of readFileSync(records, 'utf8').split('\n')) {
    if (line.startsWith('S ')) life++;
    else if (line.startsWith('R ')) answered.add(line.split(' ')[1]!);
  }
}
const fd = openSync(records, 'a');
const write = (line: string): void => void writeSync(fd, `${line}\n`);
write(`S ${mode} ${process.pid} ${process.env['CAXTON_FAULT_POINT'] ?? '-'}`);

const node = await startNode({ dataDir, apiHost: '127.0.0.1', apiPort: 0, auth: { mode: 'none' }, api: false, fsync: 'always', shards: 1 });
let wake: () => void = () => {};
node.events.on(
  (e) => {
    if (e.type !== 'external' || e.message.inReplyTo === undefined) return;
    write(`R ${e.message.inReplyTo} ${e.message.performative} ${e.message.content ?? ''}`);
    answered.add(e.message.inReplyTo);
    wake();
  },
  ['external'],
);

if (mode === 'start') {
  const policy = {
    ...nodeDefaultHttpPolicy(),
    timeoutMs: 20_000,
    allow: [{ host: 'localhost', ports: [Number(portArg)], allowPrivate: true }],
  };
  await node.control.deploy(
    { name: 'lookup', limits: {}, config: { 'service-url': serviceUrl }, http: policy },
    await agentArtifact('js-http-agent'),
  );
}
const id = `r${life}`;
await node.control.send({ performative: 'request', receivers: [{ name: 'lookup' }], replyWith: id, content });
write(`A ${id}`);
const wanted = [id, ...waitFor];
while (!wanted.every((w) => answered.has(w)))
  await Promise.race([new Promise<void>((r) => (wake = r)), new Promise((r) => setTimeout(r, 50))]);
await new Promise((r) => setTimeout(r, 200));
await node.stop();
write('E');
closeSync(fd);
