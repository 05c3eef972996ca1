/**
 * The stderr check of tests that run a child Node process (support/node-warnings.ts): Node's own
 * warnings, as a real Node prints them, are left out; anything else a child writes is kept.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { withoutNodeWarnings } from './support/node-warnings.js';

const run = promisify(execFile);

/** The stderr of `node [...flags] -e script`. */
async function stderrOf(script: string, flags: string[] = []): Promise<string> {
  return (await run(process.execPath, [...flags, '-e', script])).stderr;
}

describe("a child's stderr without Node's own warnings", () => {
  it("leaves out a deprecation of Node's API and its trace hint", async () => {
    const stderr = await stderrOf('new Buffer(1)');
    assert.match(stderr, /\[DEP0005\] DeprecationWarning/, 'this Node printed no deprecation: the case proves nothing');
    assert.equal(withoutNodeWarnings(stderr), '');
  });

  it('leaves out an ExperimentalWarning', async () => {
    const stderr = await stderrOf("new (require('node:vm').SourceTextModule)('')", ['--experimental-vm-modules']);
    assert.match(stderr, /ExperimentalWarning/, 'this Node printed no ExperimentalWarning: the case proves nothing');
    assert.equal(withoutNodeWarnings(stderr), '');
  });

  it('keeps any other text, also beside a warning it leaves out', async () => {
    const stderr = await stderrOf("new Buffer(1); console.error('the runtime failed to load')");
    assert.equal(withoutNodeWarnings(stderr).trim(), 'the runtime failed to load');
  });

  it('keeps other warnings: a leaked listener, one a module emits', async () => {
    const leak = await stderrOf("const e = new (require('node:events'))(); for (let i = 0; i < 11; i++) e.on('x', () => {})");
    assert.match(withoutNodeWarnings(leak), /^\(node:\d+\) MaxListenersExceededWarning: /m);
    const own = await stderrOf("process.emitWarning('cluster clients loaded early', 'CaxtonWarning')");
    assert.match(withoutNodeWarnings(own), /^\(node:\d+\) CaxtonWarning: cluster clients loaded early$/m);
    const ownDeprecation = await stderrOf("process.emitWarning('old option', 'DeprecationWarning')");
    assert.match(
      withoutNodeWarnings(ownDeprecation),
      /DeprecationWarning: old option/,
      "a deprecation without Node's DEP code is not Node's",
    );
  });
});
