/**
 * jco's per-host-call debug log is removed from the glue the sandbox prepares (decision 2114): on
 * the glue jco generates for a real agent (the JavaScript stdout-flood fixture), the definition is
 * found and made a no-op, so no host call reads the environment.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withoutDebugLog } from '../src/artifact/glue-debug-log.js';
import { jsProbe } from './fixtures/build.js';

describe('glue debug log', () => {
  it('the glue jco generates reads JCO_DEBUG on every host call; the prepared one does not', async () => {
    const jco = await import('@bytecodealliance/jco');
    const out = await jco.transpile(await jsProbe('flood'), {
      name: 'agent',
      instantiation: 'sync',
      noTypescript: true,
      quiet: true,
      nodejsCompat: false,
      tlaCompat: false,
      optimize: false,
      minify: false,
      base64Cutoff: 0,
    });
    const glue = new TextDecoder().decode(out.files['agent.js']!);
    assert.ok(
      glue.includes('process?.env?.JCO_DEBUG'),
      "jco's glue has the debug log this patch removes (a new jco version: check the patch)",
    );
    const patched = withoutDebugLog(glue);
    assert.ok(!patched.includes('JCO_DEBUG'));
    assert.ok(patched.includes('const _debugLog = () => {};'));
    // Only the definition changed: every call site is still there.
    assert.equal(patched.split('_debugLog(').length, glue.split('_debugLog(').length);
  });
});
