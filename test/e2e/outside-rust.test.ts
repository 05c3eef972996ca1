/**
 * Rust agents, as an author outside the repository writes them: examples/rust-echo copied into a
 * fresh temporary directory and a project scaffolded there with `caxton new rust` both build with
 * `caxton build` (Debian's cargo, the SDK from caxton's own sdk-rust, nothing written into the
 * project but build/), deploy to a real `caxton serve` and answer a request with the echo. A Rust
 * error in the project fails the build with rustc's own message.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { caxton, show } from './support/cli.js';
import { copyExample } from './support/project.js';
import type { Serve } from './support/serve.js';
import type { Tail } from './support/tail.js';
import { expectEcho } from './support/echo.js';
import { openAuthorWorkspace, type AuthorWorkspace } from './support/author-workspace.js';

/** A cold cargo build is ~2 s alone; other builds may share the CPUs (and apt may install once). */
const BUILD_TIMEOUT = 10 * 60_000;

describe('Rust agent projects outside the repository', { timeout: 4 * BUILD_TIMEOUT }, () => {
  let serve: Serve;
  let work: string;
  let tail: Tail;
  let ws: AuthorWorkspace | undefined;

  before(async () => {
    ws = await openAuthorWorkspace('caxton-rust-author-');
    ({ serve, work, tail } = ws);
  });

  after(async () => {
    await ws?.close();
  });

  it('examples/rust-echo builds in its own directory, deploys and answers', { timeout: BUILD_TIMEOUT }, async () => {
    const dir = await copyExample('rust-echo', work, 'outside-rust');
    const before = readdirSync(dir).sort();
    const built = await caxton(['build', dir, '--json']);
    assert.equal(built.code, 0, show(built));
    const result = JSON.parse(built.stdout) as { language: string; artifactPath: string; bytes: number };
    assert.equal(result.language, 'rust');
    assert.equal(result.artifactPath, path.join(dir, 'build', 'outside-rust.wasm'));
    assert.ok(existsSync(`${result.artifactPath}.sha256`), 'the artifact has its .sha256');
    assert.deepEqual(
      readdirSync(dir)
        .filter((f) => f !== 'build')
        .sort(),
      before,
      'cargo wrote nothing into the project (no Cargo.lock, no target/)',
    );

    const again = await caxton(['build', dir, '--json']);
    assert.equal(again.code, 0, show(again));
    assert.equal((JSON.parse(again.stdout) as { reused: boolean }).reused, true, 'an unchanged project is not rebuilt');

    const deployed = await caxton(['deploy', dir, '--name', 'outside-rust', ...serve.conn]);
    assert.equal(deployed.code, 0, show(deployed));
    await expectEcho(tail, serve, 'outside-rust');
  });

  it('caxton new rust scaffolds a project that deploys and answers as it is', { timeout: BUILD_TIMEOUT }, async () => {
    const dir = path.join(work, 'new-rust-agent');
    const created = await caxton(['new', 'rust', dir, '--json']);
    assert.equal(created.code, 0, show(created));
    assert.equal((JSON.parse(created.stdout) as { name: string }).name, 'new-rust-agent');
    const deployed = await caxton(['deploy', dir, '--name', 'new-rust-agent', ...serve.conn]);
    assert.equal(deployed.code, 0, show(deployed));
    await expectEcho(tail, serve, 'new-rust-agent');
    // Its own scenario passes as scaffolded (decision 2030), on the build just made.
    const tested = await caxton(['test', dir, '--timeout', '60'], { timeoutMs: 120_000 });
    assert.equal(tested.code, 0, show(tested));
    assert.match(tested.stdout, /^# pass 2\n# fail 0$/m);
  });

  it("a Rust compile error fails the build with rustc's own message", { timeout: BUILD_TIMEOUT }, async () => {
    const dir = await copyExample('rust-echo', work, 'broken-rust');
    await writeFile(
      path.join(dir, 'src', 'lib.rs'),
      [
        'use caxton_sdk::*;',
        'struct Broken;',
        'impl Agent for Broken {',
        '    fn init(_ctx: &InitContext) -> Result<Self, String> { let n: u32 = "not a number"; Ok(Broken) }',
        '}',
        'export_agent!(Broken);',
        '',
      ].join('\n'),
    );
    const built = await caxton(['build', dir]);
    assert.notEqual(built.code, 0, show(built));
    const out = built.stdout + built.stderr;
    assert.match(out, /error\[E0308\]: mismatched types/, show(built));
    assert.match(out, /src[/\\]lib\.rs:4/, "the compiler's file and line");
    assert.match(out, /build\.compile-failed|compilation of/, show(built));
    assert.equal(existsSync(path.join(dir, 'build', 'broken-rust.wasm')), false);
  });
});
