/**
 * The Python SDK's own tests (`python3 -m unittest` under plain CPython, against fake bindings:
 * performatives, message conversion through the exports, replies, request/query/subscribe and
 * contract-net helpers), plus the Python toolchain's status and the builder's handling of bad
 * entries. No bytecode is written into the SDK tree (agent builds hash it).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildAgent, ensureToolchain } from '../src/index.js';
import { pythonCommand } from '../src/toolchains/python.js';
import { runTool } from '../src/toolchains/run.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const TIMEOUT = 10 * 60_000;

describe('the Python SDK and toolchain', { timeout: 2 * TIMEOUT }, () => {
  it('caxton (sdk-python) passes its own unittest suite', { timeout: TIMEOUT }, async () => {
    const r = await runTool(pythonCommand(), ['-B', '-m', 'unittest', 'discover', '-s', 'test', '-v'], {
      cwd: path.join(REPO, 'sdk-python'),
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
      timeoutMs: TIMEOUT,
    });
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /Ran \d+ tests/);
    assert.match(r.stderr, /\nOK\s*$/);
  });

  it('the toolchain reports componentize-py and python when ready', { timeout: TIMEOUT }, async () => {
    const status = await ensureToolchain('python', () => undefined);
    assert.ok(status.ready, status.problem);
    assert.equal(status.versions['componentize-py'], '0.25.1');
    assert.match(status.versions['python'] ?? '', /^3\.\d+/);
  });

  it('refuses an entry that cannot be a Python module, before compiling', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'caxton-py-entry-'));
    try {
      await writeFile(path.join(dir, 'caxton.json'), JSON.stringify({ language: 'python', entry: 'wit_world.py' }));
      await writeFile(path.join(dir, 'wit_world.py'), '');
      await assert.rejects(buildAgent(dir), /must be a module name other than wit_world or caxton/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
