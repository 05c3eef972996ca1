/**
 * An agent author's world for the outside-project tests of every language: the language's toolchain
 * installed through the CLI (when asked; a machine that cannot install it fails with the command to
 * run), a real `caxton serve`, a fresh directory outside the checkout, and a live tail.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { caxton, show } from './cli.js';
import { ROOT } from './paths.js';
import { stopStragglers } from './processes.js';
import { startServe, tempDir, type Serve } from './serve.js';
import { Tail } from './tail.js';

export interface AuthorWorkspace {
  serve: Serve;
  work: string;
  tail: Tail;
  close(): Promise<void>;
}

export async function openAuthorWorkspace(prefix: string, toolchain?: string): Promise<AuthorWorkspace> {
  if (toolchain) {
    const tc = await caxton(['toolchain', 'install', toolchain]);
    assert.equal(tc.code, 0, show(tc));
  }
  const serve = await startServe();
  const work = await tempDir(prefix);
  assert.ok(path.relative(ROOT, work).startsWith('..'), `${work} must be outside the checkout ${ROOT}`);
  const tail = new Tail(serve, [], true);
  return {
    serve,
    work,
    tail,
    async close() {
      await tail.stop().catch(() => undefined);
      await stopStragglers();
      await rm(work, { recursive: true, force: true });
      if (serve.proc.running) await serve.stop();
    },
  };
}
