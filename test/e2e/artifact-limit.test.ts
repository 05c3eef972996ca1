/**
 * `caxton serve --max-artifact-mib`: the operator sets the largest component the node accepts.
 * A real serve with a limit smaller than the JavaScript echo agent refuses its deploy from the upload's
 * header (exit 7, RESOURCE_EXHAUSTED) naming the limit in bytes and the flag that raises it.
 */
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { caxton, show } from './support/cli.js';
import { builtExample } from './support/paths.js';
import { startServe, type Serve } from './support/serve.js';

describe('caxton serve --max-artifact-mib', () => {
  let serve: Serve;
  // The least the flag takes (a whole number of MiB, decision 2147). js-echo, built with
  // componentize-qjs (QuickJS), is 1,727,192 B: past it (the test checks the size it deploys).
  const LIMIT_MIB = 1;

  before(async () => {
    serve = await startServe({ args: ['--max-artifact-mib', String(LIMIT_MIB)] });
  });
  after(async () => {
    await serve?.stop();
  });

  it('refuses a component over the limit with exit 7, the limit and the flag to raise it', async () => {
    const wasm = builtExample('js-echo', 'js-echo.wasm');
    const size = (await stat(wasm)).size;
    const limit = LIMIT_MIB * 1024 * 1024;
    assert.ok(size > limit, `the echo agent (${size} B) must be over the ${limit} B limit for this test`);
    const r = await caxton(['deploy', wasm, '--name', 'echo', ...serve.conn]);
    assert.equal(r.code, 7, show(r));
    assert.match(r.stderr, new RegExp(`^caxton: artifact of ${size} bytes exceeds this node's limit of ${limit} bytes$`, 'm'));
    assert.match(r.stderr, /caxton serve --max-artifact-mib/);
    const agents = await caxton(['agents', '--json', ...serve.conn]);
    assert.equal(agents.code, 0, show(agents));
    assert.deepEqual(JSON.parse(agents.stdout), [], 'nothing was deployed');
  });
});
