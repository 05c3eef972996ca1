/**
 * The JADE-interop demo's caller (examples/jade-interop/caller) on a real node, without JADE: its
 * peer is on a platform whose ACC (a loopback HTTP server of this test) accepts every post with 200
 * and never answers. The requests waiting for that peer are bounded — one beyond `max-waiting` is
 * refused at once, typed — and each expires after `answer-timeout-ms` with a `failure` to whoever
 * asked (the agent's own timer), so a silent peer cannot grow the caller's memory for ever. A peer
 * whose ACC rejects the post: the node's failure (from ams@caxton) reaches the asker at once.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { caxton, show } from './support/cli.js';
import { builtExample } from './support/paths.js';
import { stopStragglers } from './support/processes.js';
import { startServe, tempDir, type Serve } from './support/serve.js';

describe('the jade-interop caller with a peer that never answers', () => {
  let dir: string;
  let acc: Server;
  let posts = 0;
  let serve: Serve | undefined;

  before(async () => {
    dir = await tempDir('caxton-e2e-caller-');
    // The silent peer platform's ACC: takes each post (200, as a FIPA ACC does) and says nothing.
    acc = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.url === '/reject') return void res.writeHead(403).end();
        posts++;
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => acc.listen(0, '127.0.0.1', resolve));
    const port = (acc.address() as { port: number }).port;
    const peers = path.join(dir, 'peers.json');
    const secret = (): string => randomBytes(32).toString('base64url');
    writeFileSync(
      peers,
      JSON.stringify({
        peers: [
          { platform: 'silent', secret: secret(), acc: `http://127.0.0.1:${port}/acc` },
          { platform: 'rejecting', secret: secret(), acc: `http://127.0.0.1:${port}/reject` },
        ],
      }),
    );
    serve = await startServe({ dataDir: path.join(dir, 'data'), args: ['--mtp-http', '127.0.0.1:0', '--mtp-peers', peers] });
    const deployed = await caxton([
      'deploy',
      builtExample('jade-interop/caller', 'jade-interop-caller.wasm'),
      '--name',
      'caller',
      '--config',
      'peer=mute@silent',
      '--config',
      'max-waiting=2',
      '--config',
      'answer-timeout-ms=1500',
      '--allow-http',
      `127.0.0.1:${port}`,
      '--allow-private-http',
      '127.0.0.1',
      ...serve.conn,
    ]);
    assert.equal(deployed.code, 0, show(deployed));
    const second = await caxton([
      'deploy',
      builtExample('jade-interop/caller', 'jade-interop-caller.wasm'),
      '--name',
      'caller2',
      '--config',
      'peer=nobody@rejecting',
      '--allow-http',
      `127.0.0.1:${port}`,
      '--allow-private-http',
      '127.0.0.1',
      ...serve.conn,
    ]);
    assert.equal(second.code, 0, show(second));
  });
  after(async () => {
    await stopStragglers();
    if (serve?.proc.running) await serve.stop();
    await new Promise((resolve) => acc.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a request beyond max-waiting and answers every waiting one with failure at the timeout', async () => {
    const ask = (n: number) =>
      caxton(['send', 'caller', 'request', `question ${n}`, '--wait', '--timeout', '20', ...serve!.conn], { timeoutMs: 40_000 });
    const answers = await Promise.all([ask(1), ask(2), ask(3)]);
    for (const r of answers) assert.equal(r.code, 0, show(r));
    const refused = answers.filter((r) => /\brefuse\b.*"too many requests waiting for mute@silent \(2\); ask again later"/.test(r.stdout));
    const expired = answers.filter((r) => /\bfailure\b.*"mute@silent did not answer within 1500 ms"/.test(r.stdout));
    assert.equal(refused.length, 1, answers.map(show).join('\n'));
    assert.equal(expired.length, 2, answers.map(show).join('\n'));
    assert.equal(posts, 2, 'the two accepted requests were posted to the peer; the refused one was not');

    // Both expired, so there is room again: a new request is taken (and expires in turn).
    const again = await ask(4);
    assert.match(again.stdout, /\bfailure\b.*"mute@silent did not answer within 1500 ms"/, show(again));
  });

  it("passes the node's delivery failure (from ams@caxton) on to the asker as failure", async () => {
    const r = await caxton(['send', 'caller2', 'request', 'anyone there?', '--wait', '--timeout', '20', ...serve!.conn], {
      timeoutMs: 40_000,
    });
    assert.equal(r.code, 0, show(r));
    assert.match(
      r.stdout,
      /\bfailure\s+caller2@caxton -> operator@caxton .*"ams@caxton answered failure: message \S+ could not be delivered to nobody@rejecting/,
      show(r),
    );
  });
});
