/**
 * Priorities and circuit breakers through the CLI and the gRPC API of a real `caxton serve`
 * (decisions 1920, 1921): `caxton send --priority` is accepted and a bad value refused before
 * anything is sent; an agent that crashes on everything gets its breaker opened (default limits:
 * 5 failures in a row), `caxton send` to it exits 7 with `bus.circuit-open` and a retry-after,
 * `caxton agents` shows the breaker in the table, the detail view and `--json`; an upgrade that
 * fixes the agent closes it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { caxton, show } from './support/cli.js';
import { builtExample } from './support/paths.js';
import { stopStragglers } from './support/processes.js';
import { startServe, type Serve } from './support/serve.js';

describe('priorities and circuit breakers, against a real caxton serve', () => {
  let serve: Serve;
  const wasm = builtExample('hostile/as-poison', 'hostile-as-poison.wasm');

  before(async () => {
    serve = await startServe();
    const r = await caxton(['deploy', wasm, '--name', 'fragile', ...serve.conn]);
    assert.equal(r.code, 0, show(r));
  });
  after(async () => {
    await stopStragglers();
    if (serve?.proc.running) await serve.stop();
  });

  async function agent(): Promise<{ state: string; breaker?: { state: string; failures: number; retryAfterMs?: number } }> {
    const r = await caxton(['agents', 'fragile', '--json', ...serve.conn]);
    assert.equal(r.code, 0, show(r));
    return JSON.parse(r.stdout) as { state: string; breaker?: { state: string; failures: number } };
  }

  it('send --priority: high is handled; a value that is not a priority exits 2 before sending', async () => {
    const ok = await caxton([
      'send',
      'fragile',
      'request',
      'urgent hello',
      '--priority',
      'high',
      '--wait',
      '--timeout',
      '20',
      ...serve.conn,
    ]);
    assert.equal(ok.code, 0, show(ok));
    assert.match(ok.stdout, /"urgent hello"/);
    const bad = await caxton(['send', 'fragile', 'request', 'x', '--priority', 'urgent', ...serve.conn]);
    assert.equal(bad.code, 2, show(bad));
    assert.match(bad.stderr, /--priority takes high, normal, low/);
    const raw = await caxton([
      'send',
      '--raw',
      '{"performative":"inform","receiver":[{"name":"fragile"}],"content":"x","X-caxton-priority":"soon"}',
      ...serve.conn,
    ]);
    assert.equal(raw.code, 2, show(raw));
    assert.match(raw.stderr, /priority/);
  });

  it('a breaker opens on repeated crashes, refuses sends with exit 7, shows in caxton agents, and an upgrade closes it', async () => {
    for (const n of [1, 2]) {
      const r = await caxton(['send', 'fragile', 'request', `poison ${n}`, ...serve.conn]);
      assert.equal(r.code, 0, show(r));
    }
    const end = Date.now() + 30_000;
    while ((await agent()).breaker?.state !== 'open') {
      if (Date.now() > end) assert.fail('the breaker never opened');
      await new Promise((r) => setTimeout(r, 200));
    }
    const refused = await caxton(['send', 'fragile', 'request', 'anyone?', ...serve.conn]);
    assert.equal(refused.code, 7, show(refused));
    assert.match(refused.stderr, /agent fragile(@caxton)? is refusing new messages: its last \d+ deliveries failed; retry after \d+ ms/);
    const table = await caxton(['agents', ...serve.conn]);
    assert.match(table.stdout, /^fragile\s+\S+ \(breaker open\)\s/m, show(table));
    const detail = await caxton(['agents', 'fragile', ...serve.conn]);
    assert.match(detail.stdout, /^breaker\s+open: \d+ failed in a row, new sends refused; probe in \d+\.\d s$/m, show(detail));
    const shown = await agent();
    assert.ok((shown.breaker?.failures ?? 0) >= 5 && (shown.breaker?.retryAfterMs ?? 0) > 0, JSON.stringify(shown));

    const upgraded = await caxton(['upgrade', 'fragile', wasm, '--config', 'poison=a string nobody sends', ...serve.conn]);
    assert.equal(upgraded.code, 0, show(upgraded));
    assert.equal((await agent()).breaker, undefined);
    const fixed = await caxton(['send', 'fragile', 'request', 'poison no more', '--wait', '--timeout', '20', ...serve.conn]);
    assert.equal(fixed.code, 0, show(fixed));
    assert.match(fixed.stdout, /"poison no more"/);
  });
});
