/**
 * `caxton deploy --max-sends-per-s` against a real `caxton serve` (decision 1720): the flag travels
 * through the CLI and the gRPC header into the node's record (`caxton agents <name>` shows it; that
 * the sandbox then binds sends at it is runtime/test/node/send-quota.test.ts, over the same API); a
 * value past the ceiling is refused by the CLI before anything is sent.
 */
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { caxton, show } from './support/cli.js';
import { stopStragglers } from './support/processes.js';
import { startServe, tempDir, type Serve } from './support/serve.js';

interface LiftBombs {
  liftBombComponent(): Promise<Uint8Array>;
  ATTACKS: Record<string, string>;
  MEMORY_CAP_PAGES: number;
}
const liftBombs = (): Promise<LiftBombs> =>
  import(new URL('../../../sandbox/dist/test/fixtures/lift-bombs.js', import.meta.url).href) as Promise<LiftBombs>;

describe('caxton deploy --max-sends-per-s', () => {
  let serve: Serve;
  let work: string;
  let bombs: LiftBombs;
  let wasm: string;

  before(async () => {
    bombs = await liftBombs();
    work = await tempDir('caxton-e2e-quota-');
    wasm = path.join(work, 'flood.wasm');
    await writeFile(wasm, await bombs.liftBombComponent());
    serve = await startServe();
  });
  after(async () => {
    await stopStragglers();
    if (serve?.proc.running) await serve.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('stores the quota with the deployment and shows it', async () => {
    const d = await caxton([
      'deploy',
      wasm,
      '--name',
      'flood',
      '--memory',
      String(bombs.MEMORY_CAP_PAGES),
      '--max-sends-per-s',
      '50',
      '--max-sends-per-call',
      '20',
      ...serve.conn,
    ]);
    assert.equal(d.code, 0, show(d));
    assert.match(d.stdout, /^sends\s+50\/s, 20 per message$/m);
    const got = await caxton(['agents', 'flood', '--json', ...serve.conn]);
    assert.equal(got.code, 0, show(got));
    const limits = (JSON.parse(got.stdout) as { limits: Record<string, number> }).limits;
    assert.equal(limits['sendsPerSecond'], 50);
    assert.equal(limits['maxOutbox'], 20);
  });

  it('refuses a value past the ceiling before sending anything', async () => {
    const r = await caxton(['deploy', wasm, '--name', 'too-fast', '--max-sends-per-s', '2000000', ...serve.conn]);
    assert.equal(r.code, 2, show(r));
    assert.match(r.stderr, /--max-sends-per-s 2000000 is out of range: it must be 1\.\.1,000,000 \(per second\)/);
    const list = await caxton(['agents', '--json', ...serve.conn]);
    assert.ok(!list.stdout.includes('too-fast'), show(list));
  });
});
