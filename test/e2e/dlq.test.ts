/**
 * `caxton dlq` against a real `caxton serve` (decision 1860): a real poison agent's letter is
 * listed and shown with its reason; the read-only token may look but not redrive; a redrive to a
 * fixed agent, repeated, is handled once; a purge hides the letter (`--all` still shows it).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { caxton, show } from './support/cli.js';
import { builtExample } from './support/paths.js';
import { stopStragglers } from './support/processes.js';
import { startServe, type Serve } from './support/serve.js';

interface Letter {
  id: string;
  state: string;
  reason: string;
  attempts: number;
  delivery: { receiver: string };
  redrive?: { deliveryId: string; receiver: string };
}

describe('caxton dlq, against a real caxton serve', () => {
  let serve: Serve;

  before(async () => {
    serve = await startServe();
    const wasm = builtExample('hostile/as-poison', 'hostile-as-poison.wasm');
    for (const args of [
      ['--name', 'fragile'],
      ['--name', 'steady', '--config', 'poison=a string nobody sends'],
    ]) {
      const r = await caxton(['deploy', wasm, ...args, ...serve.conn]);
      assert.equal(r.code, 0, show(r));
    }
  });
  after(async () => {
    await stopStragglers();
    if (serve?.proc.running) await serve.stop();
  });

  async function json<T>(args: string[], env: Record<string, string> = {}): Promise<T> {
    const r = await caxton([...args, '--json', ...serve.conn], { env });
    assert.equal(r.code, 0, show(r));
    return JSON.parse(r.stdout) as T;
  }

  async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it('lists, shows, redrives once however often asked, refuses the read-only token, and purges', async () => {
    const sent = await caxton(['send', 'fragile', 'request', 'poison pill', ...serve.conn]);
    assert.equal(sent.code, 0, show(sent));
    const letter = await until('the pill to be dead-lettered', async () => (await json<Letter[]>(['dlq', 'list']))[0]);
    assert.equal(letter.state, 'dead');
    assert.equal(letter.delivery.receiver, 'fragile');
    assert.match(letter.reason, /^handler crashed \d+ times \(trap: /);

    const table = await caxton(['dlq', 'list', ...serve.conn]);
    assert.equal(table.code, 0, show(table));
    assert.match(table.stdout, /^ID +RECEIVER +PERFORMATIVE +ATTEMPTS +DEAD-LETTERED +STATE +REASON$/m);
    assert.ok(table.stdout.includes(letter.id) && /fragile +request +\d+ .* dead +handler crashed/.test(table.stdout), table.stdout);
    const shown = await caxton(['dlq', 'show', letter.id, ...serve.conn]);
    assert.equal(shown.code, 0, show(shown));
    assert.match(shown.stdout, /^content +"poison pill"$/m);
    assert.match(shown.stdout, /^reason +handler crashed/m);
    const missing = await caxton(['dlq', 'show', 'no-such-letter', ...serve.conn]);
    assert.equal(missing.code, 3, show(missing));

    // The read-only token looks, but may not redrive or purge (exit 5).
    const readToken = (await readFile(path.join(serve.dataDir, 'auth-token.read'), 'utf8')).trim();
    const readOnly = ['--addr', serve.conn[1]!, '--token', readToken];
    const looked = await caxton(['dlq', 'list', '--json', ...readOnly]);
    assert.equal(looked.code, 0, show(looked));
    for (const verb of ['redrive', 'purge']) {
      const refused = await caxton(['dlq', verb, letter.id, ...readOnly]);
      assert.equal(refused.code, 5, show(refused));
      assert.match(refused.stderr, new RegExp(`may not call ${verb === 'redrive' ? 'Redrive' : 'Purge'}DeadLetters`));
    }

    const usage = await caxton(['dlq', 'redrive', ...serve.conn]);
    assert.equal(usage.code, 2, show(usage));

    type Redriven = { redriven: { id: string; deliveryId: string; receiver: string }[] };
    const first = await json<Redriven>(['dlq', 'redrive', letter.id, '--to', 'steady']);
    const again = await json<Redriven>(['dlq', 'redrive', letter.id, '--to', 'steady']);
    assert.deepEqual(again, first);
    assert.equal(first.redriven[0]!.receiver, 'steady');
    const handled = async () =>
      (await json<{ name: string; messagesHandled: number }[]>(['agents'])).find((a) => a.name === 'steady')!.messagesHandled;
    await until('steady to handle the redriven pill', async () => ((await handled()) >= 1 ? true : undefined));
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(await handled(), 1, 'handled exactly once');
    const redrivenLetter = await json<Letter>(['dlq', 'show', letter.id]);
    assert.equal(redrivenLetter.state, 'redriven');
    assert.equal(redrivenLetter.redrive?.deliveryId, first.redriven[0]!.deliveryId);

    const purged = await caxton(['dlq', 'purge', letter.id, ...serve.conn]);
    assert.equal(purged.code, 0, show(purged));
    assert.equal(purged.stdout, `purged ${letter.id}\n`);
    assert.deepEqual(await json<Letter[]>(['dlq', 'list']), []);
    assert.deepEqual(
      (await json<Letter[]>(['dlq', 'list', '--all'])).map((l) => [l.id, l.state]),
      [[letter.id, 'purged']],
    );
    const all = await caxton(['dlq', 'purge', '--agent', 'fragile', '--all', ...serve.conn]);
    assert.equal(all.code, 2, `--all without --yes is refused: ${show(all)}`);
  });
});
