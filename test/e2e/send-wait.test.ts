/**
 * `caxton send … --wait` against a real `caxton serve`: one command sends and shows the answer,
 * returning when the conversation ends; a conversation that does not end in time exits 8 and says
 * who it was still waiting on.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { caxton, show } from './support/cli.js';
import { builtExample } from './support/paths.js';
import { stopStragglers } from './support/processes.js';
import { startServe, type Serve } from './support/serve.js';

describe('caxton send --wait', () => {
  let serve: Serve;

  before(async () => {
    serve = await startServe();
    const r = await caxton(['deploy', builtExample('as-echo', 'as-echo.wasm'), '--name', 'echo', ...serve.conn]);
    assert.equal(r.code, 0, show(r));
  });
  after(async () => {
    await stopStragglers();
    if (serve?.proc.running) await serve.stop();
  });

  it('sends, prints the reply and returns when the conversation ends', async () => {
    const r = await caxton(['send', 'echo', 'request', 'hello, wait for me', '--wait', ...serve.conn]);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /\binform\s+echo@caxton -> operator@caxton\s+conv=cli-[0-9a-f]+\b.*"hello, wait for me"$/m);
    assert.match(r.stderr, /^sent \S+ \(conversation cli-[0-9a-f]+\); waiting for the replies…$/m);
  });

  it('follows a protocol to its end, with --json for scripts', async () => {
    const r = await caxton([
      'send',
      'echo',
      'request',
      'by the book',
      '-p',
      'fipa-request',
      '-c',
      'conv-wait-json',
      '--wait',
      '--json',
      ...serve.conn,
    ]);
    assert.equal(r.code, 0, show(r));
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok('sent' in lines[0]!, r.stdout);
    const reply = lines[1] as { message: { performative: string; conversationId: string; content: string } };
    assert.equal(reply.message.performative, 'inform');
    assert.equal(reply.message.conversationId, 'conv-wait-json');
    assert.equal(reply.message.content, 'by the book');
    assert.equal(lines.length, 2);
  });

  it('exits 8 naming the receivers still open when the conversation does not end in time', async () => {
    // echo answers a cfp with inform, which fipa-contract-net does not allow: the runtime refuses
    // it, so the conversation never ends.
    const r = await caxton(['send', 'echo', 'cfp', 'anyone?', '-p', 'fipa-contract-net', '--wait', '--timeout', '3', ...serve.conn]);
    assert.equal(r.code, 8, show(r));
    assert.match(r.stderr, /the conversation had not ended after 3 s; still waiting on: echo/);
    assert.match(r.stderr, /hint: raise --timeout/);
  });
});
