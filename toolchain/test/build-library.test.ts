/**
 * The build library itself: layout detection, artifacts and their checksums, reuse by source hash,
 * and the typed errors for missing toolchains, compile errors and agents that do not fit the world.
 * Projects are written to temp directories OUTSIDE the repository, so toolchain and SDK resolution
 * work the way they do for an author's own project.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  buildAgent,
  detectProject,
  readRecordedSha256,
  CompileError,
  InvalidAgentError,
  ToolchainMissingError,
  UnknownProjectLayoutError,
  type BuildProgress,
} from '../src/index.js';
import { CaxtonError } from '@caxton/core';
import { blankMessage, loadAgent, TestHost } from './harness.js';
import { repoRoot, tempOutDir } from './fixtures.js';

/**
 * A project that pins its own copy of the JavaScript SDK in its node_modules (e.g. a patched one):
 * the copy is marked by an extra export, so a build that links against it proves the pin won.
 */
function pinJsSdk(dir: string): void {
  const pinned = path.join(dir, 'node_modules', '@caxton', 'sdk-js');
  cpSync(path.join(repoRoot, 'sdk-js'), pinned, { recursive: true, filter: (src) => !/[/\\](test|bench)$/.test(src) });
  const index = path.join(pinned, 'src', 'index.js');
  writeFileSync(index, `${readFileSync(index, 'utf8')}\nexport const PINNED_COPY = 'pinned';\n`);
}

/** Writes `files` (relative path -> contents) into a fresh temp project directory. */
function project(files: Record<string, string>): string {
  const dir = tempOutDir('build-lib');
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

const AS_AGENT = `
import { Agent, AclMessage, Performative, register, reply } from "@caxton/sdk-assemblyscript";
class Upper extends Agent {
  onMessage(msg: AclMessage): void { reply(msg, Performative.Inform, msg.content !== null ? msg.content!.toUpperCase() : null); }
}
register(new Upper());
export * from "@caxton/sdk-assemblyscript/exports";
`;
const JS_AGENT = `
import { defineAgent, reply } from '@caxton/sdk-js';
export const guest = defineAgent({ onMessage(msg) { reply(msg, 'inform', (msg.content ?? '').toUpperCase()); } });
`;

describe('detectProject', () => {
  it('recognises AssemblyScript by asconfig.json entries, assembly/index.ts, or caxton.language', () => {
    const a = project({ 'asconfig.json': '{"entries": ["src/main.ts"]}', 'src/main.ts': '' });
    assert.deepEqual([detectProject(a).language, detectProject(a).entries], ['assemblyscript', ['src/main.ts']]);
    const b = project({ 'assembly/index.ts': '', 'package.json': '{"name": "@acme/b-agent", "main": "x.js"}' });
    assert.deepEqual([detectProject(b).language, detectProject(b).name], ['assemblyscript', 'b-agent']);
    const c = project({
      'package.json': '{"caxton": {"language": "assemblyscript", "entry": "agent.ts", "name": "custom"}}',
      'agent.ts': '',
    });
    assert.deepEqual([detectProject(c).entries, detectProject(c).name], [['agent.ts'], 'custom']);
  });

  it('recognises JavaScript by package.json main, or the conventional entry names', () => {
    const a = project({ 'package.json': '{"name": "a", "main": "lib/a.js"}', 'lib/a.js': '' });
    assert.deepEqual([detectProject(a).language, detectProject(a).entries], ['javascript', ['lib/a.js']]);
    const b = project({ 'package.json': '{"name": "b"}', 'src/agent.js': '' });
    assert.deepEqual(detectProject(b).entries, ['src/agent.js']);
  });

  it('explains unknown layouts, bad languages and missing entries with a hint', () => {
    const cases = [
      project({ 'README.md': 'nothing to build' }),
      project({ 'package.json': '{"name": "x"}' }),
      project({ 'package.json': '{"caxton": {"language": "cobol"}}' }),
      project({ 'package.json': '{"main": "gone.js"}' }),
      project({ 'asconfig.json': '{"entries": []}' }),
    ];
    for (const dir of cases) {
      assert.throws(
        () => detectProject(dir),
        (e) => {
          assert.ok(e instanceof UnknownProjectLayoutError && e instanceof CaxtonError);
          assert.equal(e.code, 'build.unknown-layout');
          assert.match(e.hint ?? '', /asconfig\.json|package\.json/);
          return true;
        },
      );
    }
    assert.throws(
      () => detectProject(path.join(os.tmpdir(), 'no-such-dir-caxton')),
      (e) => (e as CaxtonError).code === 'build.not-a-directory',
    );
  });
});

describe('buildAgent', () => {
  it('builds an AssemblyScript project outside the repo, with checksum, manifest and progress', async () => {
    const dir = project({ 'package.json': '{"name": "upper", "caxton": {"language": "assemblyscript"}}', 'assembly/index.ts': AS_AGENT });
    const events: BuildProgress[] = [];
    const r = await buildAgent(dir, { onProgress: (e) => events.push(e) });
    assert.equal(r.artifactPath, path.join(dir, 'build', 'upper.wasm'));
    assert.equal(r.language, 'assemblyscript');
    assert.equal(r.reused, false);
    const bytes = readFileSync(r.artifactPath);
    assert.equal(r.bytes, bytes.length);
    assert.equal(r.sha256, createHash('sha256').update(bytes).digest('hex'));
    assert.equal(readFileSync(`${r.artifactPath}.sha256`, 'utf8'), `${r.sha256}  upper.wasm\n`);
    assert.equal(readRecordedSha256(r.artifactPath), r.sha256);
    const manifest = JSON.parse(readFileSync(path.join(dir, 'build', 'upper.build.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(manifest.sha256, r.sha256);
    assert.deepEqual(Object.keys(manifest.toolchain as object).sort(), ['assemblyscript', 'jco', 'sdk']);
    assert.deepEqual(
      events.map((e) => e.step),
      ['detect', 'toolchain', 'compile', 'componentize', 'write'],
    );
    assert.ok(events.every((e, i) => i === 0 || e.elapsedMs >= (events[i - 1] as BuildProgress).elapsedMs));

    // And it is a working agent.
    const host = new TestHost();
    const guest = await (await loadAgent(r.artifactPath)).instantiate(host);
    guest.init({ self: { name: 'u@p', addresses: [] }, config: [] });
    guest.handle(blankMessage('request', { content: 'shout', sender: { name: 's@p', addresses: [] } }));
    assert.equal(host.sent[0]?.content, 'SHOUT');

    // Reuse: same sources -> nothing compiled, same artifact; a source change -> rebuilt.
    const again = await buildAgent(dir, { reuse: true });
    assert.deepEqual([again.reused, again.sha256], [true, r.sha256]);
    writeFileSync(path.join(dir, 'assembly/index.ts'), AS_AGENT.replace('toUpperCase', 'toLowerCase'));
    const changed = await buildAgent(dir, { reuse: true });
    assert.equal(changed.reused, false);
    assert.notEqual(changed.sha256, r.sha256);
    // Reuse notices a tampered artifact.
    writeFileSync(changed.artifactPath, 'not wasm');
    assert.equal((await buildAgent(dir, { reuse: true })).reused, false);
  });

  it('builds a JavaScript project outside the repo into a custom outDir', async () => {
    // Nothing installed: the SDK is not published, the build provides the one caxton carries.
    const dir = project({ 'package.json': '{"name": "js-upper", "type": "module", "main": "agent.js"}', 'agent.js': JS_AGENT });
    const outDir = path.join(dir, 'artifacts');
    const r = await buildAgent(dir, { outDir });
    assert.equal(r.artifactPath, path.join(outDir, 'js-upper.wasm'));
    assert.equal(r.language, 'javascript');
    const host = new TestHost();
    const guest = await (await loadAgent(r.artifactPath)).instantiate(host);
    guest.init({ self: { name: 'u@p', addresses: [] }, config: [] });
    guest.handle(blankMessage('request', { content: 'shout', sender: { name: 's@p', addresses: [] } }));
    assert.equal(host.sent[0]?.content, 'SHOUT');
  });

  it('names the package to install when a toolchain is missing', async () => {
    const empty = tempOutDir('no-toolchain');
    const as = project({ 'assembly/index.ts': AS_AGENT });
    await assert.rejects(buildAgent(as, { toolchainDirs: [empty] }), (e) => {
      assert.ok(e instanceof ToolchainMissingError);
      assert.equal(e.code, 'build.toolchain-missing');
      assert.equal(e.hint, 'install it: npm install --save-exact @bytecodealliance/jco@1.35.0');
      return true;
    });
    const js = project({ 'package.json': '{"main": "agent.js"}', 'agent.js': JS_AGENT });
    await assert.rejects(buildAgent(js, { toolchainDirs: [empty] }), (e) => {
      assert.ok(e instanceof ToolchainMissingError);
      assert.equal(e.hint, 'install it: npm install --save-exact componentize-qjs@0.4.5');
      assert.deepEqual(e.context.searched, [empty]);
      return true;
    });
  });

  it('reports compiler diagnostics with file and line', async () => {
    const as = project({ 'assembly/index.ts': `${AS_AGENT}\nlet broken: i32 = "not a number";\n` });
    await assert.rejects(buildAgent(as), (e) => {
      assert.ok(e instanceof CompileError);
      assert.equal(e.code, 'build.compile-failed');
      assert.match(e.diagnostics, /TS2322/);
      assert.match(e.diagnostics, /assembly\/index\.ts\(\d+,\d+\)/);
      return true;
    });
    const js = project({ 'package.json': '{"main": "agent.js"}', 'agent.js': `${JS_AGENT}\nexport const oops = ;\n` });
    await assert.rejects(buildAgent(js), (e) => e instanceof CompileError && /SyntaxError|unexpected/i.test(e.diagnostics));
  });

  it('says which package to install when a JavaScript import cannot be resolved', async () => {
    const js = project({ 'package.json': '{"main": "agent.js"}', 'agent.js': `import pad from 'left-pad';\n${JS_AGENT}` });
    await assert.rejects(buildAgent(js), (e) => {
      assert.ok(e instanceof CompileError);
      assert.match(e.diagnostics, /left-pad/, "the compiler's own message is kept");
      assert.doesNotMatch(e.diagnostics, /caxton-js-build-/, "paths name the author's files, not the build stage");
      assert.equal(
        e.hint,
        `install left-pad into the project's own node_modules (the build sees only the project directory): cd ${js} && npm install --save-exact left-pad`,
      );
      return true;
    });
    // Caxton's own packages are never `npm install`ed: the hint names the SDK the build provides.
    const wrong = project({ 'package.json': '{"main": "agent.js"}', 'agent.js': `import '@caxton/sdk-javascript';\n${JS_AGENT}` });
    await assert.rejects(buildAgent(wrong), (e) => {
      assert.ok(e instanceof CompileError);
      assert.equal(
        e.hint,
        "@caxton/sdk-javascript is not a Caxton package for JavaScript agents; the SDK is '@caxton/sdk-js', which caxton build provides",
      );
      return true;
    });
  });

  it('uses the SDK copy a JavaScript project pins in its own node_modules', async () => {
    const source = `import { defineAgent, reply, PINNED_COPY } from '@caxton/sdk-js';
export const guest = defineAgent({ onMessage(msg) { reply(msg, 'inform', PINNED_COPY); } });
`;
    const dir = project({ 'package.json': '{"name": "js-pinned", "type": "module", "main": "agent.js"}', 'agent.js': source });
    // Without the pin the import cannot link: the SDK caxton carries has no PINNED_COPY.
    await assert.rejects(buildAgent(dir), (e) => e instanceof CompileError && /PINNED_COPY/.test(e.diagnostics));
    pinJsSdk(dir);
    const r = await buildAgent(dir);
    const host = new TestHost();
    const guest = await (await loadAgent(r.artifactPath)).instantiate(host);
    guest.init({ self: { name: 'u@p', addresses: [] }, config: [] });
    guest.handle(blankMessage('request', { content: 'which sdk?', sender: { name: 's@p', addresses: [] } }));
    assert.equal(host.sent[0]?.content, 'pinned');
  });

  it('rejects AssemblyScript agents that do not fit the world, saying how to fix them', async () => {
    const noExports = project({ 'assembly/index.ts': AS_AGENT.replace('export * from "@caxton/sdk-assemblyscript/exports";', '') });
    await assert.rejects(
      buildAgent(noExports),
      (e) =>
        e instanceof InvalidAgentError &&
        e.code === 'build.invalid-agent' &&
        /export \* from "@caxton\/sdk-assemblyscript\/exports"/.test(e.hint ?? ''),
    );
    const strayExport = project({ 'assembly/index.ts': `${AS_AGENT}\nexport function helper(): i32 { return 1; }\n` });
    await assert.rejects(buildAgent(strayExport), (e) => e instanceof InvalidAgentError && /exports helper/.test(e.message));
    const envImport = project({
      'assembly/index.ts': `${AS_AGENT}\n@external("env", "sneaky") declare function sneaky(): void;\nsneaky();\n`,
    });
    await assert.rejects(buildAgent(envImport), (e) => e instanceof InvalidAgentError && /imports env\.sneaky/.test(e.message));
  });
});
