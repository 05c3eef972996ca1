/**
 * A node start-up refusal reaches the user with its hint and exit code, from the bundled CLI as
 * from the compiled modules (decision 2051): the bundle must run the node from its own chunk and
 * recognise Caxton errors by their brand, or a busy port prints a bare message (review of clifast).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { caxton } from './support/run-cli.js';

let work: string;
let busy: Server;
let port: number;

describe('caxton serve on a port another program holds', () => {
  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'caxton-serve-refusal-'));
    busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    port = (busy.address() as { port: number }).port;
  });
  after(async () => {
    await new Promise<void>((resolve) => busy.close(() => resolve()));
    await rm(work, { recursive: true, force: true });
  });

  for (const mode of ['bundled', 'unbundled'] as const) {
    it(`${mode}: exits non-zero with the node's hint`, { timeout: 60_000 }, async () => {
      const r = await caxton(['serve', '--api-host', '127.0.0.1', '--api-port', String(port), '--data-dir', path.join(work, mode)], {
        cwd: work,
        env: mode === 'unbundled' ? { CAXTON_CLI_UNBUNDLED: '1' } : {},
      });
      assert.notEqual(r.code, 0, r.stderr);
      assert.match(r.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}`));
      assert.match(r.stderr, /hint: .*--api-port/);
    });
  }
});
