/**
 * kafkajs's negative-timeout warning is dropped, and only it (negative-timeout-warning.ts): a child
 * Node installs the filter, then warnings are raised from a file laid out as kafkajs's request queue
 * and from elsewhere. Node's own printer must show every warning but the kafkajs one.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { test } from 'node:test';

const FILTER = pathToFileURL(
  path.join(path.dirname(fileURLToPath(import.meta.url)), '../../../src/log/kafka/negative-timeout-warning.js'),
).href;

test("a TimeoutNegativeWarning from kafkajs's request queue is dropped; the same warning from elsewhere and other warnings are printed", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'caxton-kafkajs-warning-'));
  try {
    const queue = path.join(dir, 'node_modules', 'kafkajs', 'src', 'network', 'requestQueue');
    await mkdir(queue, { recursive: true });
    // Raised by name, as Node 23+ raises it for a negative delay (Node 20 raises none at all).
    await writeFile(
      path.join(queue, 'index.js'),
      "exports.arm = () => process.emitWarning('-1795816816449 is a negative number.', 'TimeoutNegativeWarning');\n",
    );
    await writeFile(
      path.join(dir, 'elsewhere.cjs'),
      "exports.arm = () => process.emitWarning('-5 is a negative number (ours).', 'TimeoutNegativeWarning');\n",
    );
    const main = path.join(dir, 'main.mjs');
    await writeFile(
      main,
      [
        `import { createRequire } from 'node:module';`,
        `import { dropKafkajsNegativeTimeoutWarnings } from ${JSON.stringify(FILTER)};`,
        `const require = createRequire(import.meta.url);`,
        `dropKafkajsNegativeTimeoutWarnings();`,
        `dropKafkajsNegativeTimeoutWarnings(); // twice: still one printer`,
        `require('./node_modules/kafkajs/src/network/requestQueue/index.js').arm();`,
        `require('./elsewhere.cjs').arm();`,
        `process.emitWarning('something else to know');`,
        `const mine = (w) => process.stdout.write('own listener: ' + w.name + '\\n');`,
        `await new Promise((r) => setImmediate(r)); // the warnings above have fired before the listener comes`,
        `process.on('warning', mine);`,
        `require('./node_modules/kafkajs/src/network/requestQueue/index.js').arm();`,
        `process.emitWarning('seen by my listener');`,
        `await new Promise((r) => setImmediate(r)); // a warning event fires on the next tick`,
        `process.off('warning', mine);`,
        `process.emitWarning('after my listener left');`,
      ].join('\n'),
    );
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [main], { cwd: dir });
    assert.doesNotMatch(stderr, /1795816816449/, 'the kafkajs warning is dropped');
    assert.equal(stderr.match(/-5 is a negative number \(ours\)/g)?.length, 1, 'the same warning from other code is printed, once');
    assert.equal(stderr.match(/something else to know/g)?.length, 1, 'other warnings are printed, once');
    // A listener the embedder adds later never sees the kafkajs warning, and can be removed again.
    assert.equal(stdout, 'own listener: Warning\n', 'the later listener saw only the other warning, and none after it left');
    assert.equal(stderr.match(/after my listener left/g)?.length, 1);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
