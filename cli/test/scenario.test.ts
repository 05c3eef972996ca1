/**
 * `caxton test`'s pure parts (decision 1930): the scenario file format checked at the boundary,
 * the comparison of a reply with what a step expects, and the TAP it prints. The command runs
 * against a real node in test/e2e/test-command.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { run } from '../src/app.js';
import { UsageError } from '../src/cli-error.js';
import type { Io } from '../src/io.js';
import { MAX_STEPS, parseScenario, stepProblems } from '../src/scenario/scenario.js';
import { tapBailOut, tapPlan, tapStep, tapSummary } from '../src/scenario/tap.js';

const valid = {
  description: 'counts',
  config: { start: '3' },
  steps: [{ send: { performative: 'request', content: 'tick' }, expect: { performative: 'inform', content: '4' } }],
};

function refusal(source: unknown): string {
  try {
    parseScenario('s.json', typeof source === 'string' ? source : JSON.stringify(source));
  } catch (err) {
    assert.ok(err instanceof UsageError, String(err));
    assert.match(err.hint ?? '', /Scenario tests/, 'the hint shows the format');
    return err.message;
  }
  assert.fail('accepted');
}

describe('caxton test: scenario files', () => {
  it('parses a valid scenario into typed steps', () => {
    assert.deepEqual(parseScenario('s.json', JSON.stringify(valid)), {
      file: 's.json', description: 'counts', config: { start: '3' },
      steps: [{ send: { performative: 'request', content: 'tick' }, expect: { performative: 'inform', content: '4' } }],
    });
  });

  it('refuses a bad file naming the file, the step and the field', () => {
    assert.match(refusal('{'), /^s\.json: is not JSON/);
    assert.match(refusal([]), /must hold a JSON object/);
    assert.match(refusal({ steps: [] }), /steps must be a non-empty list/);
    assert.match(refusal({ steps: [{}], extra: 1 }), /unknown field extra/);
    assert.match(refusal({ steps: [{ send: { performative: 'shout', content: 'x' }, expect: { content: 'y' } }] }), /step 1 send\.performative is not a FIPA performative: "shout"/);
    assert.match(refusal({ steps: [{ send: { performative: 'request', content: 'x' }, expect: {} }] }), /step 1 expect names nothing to check/);
    assert.match(refusal({ steps: [{ send: { performative: 'request', content: 'x' }, expect: { content: 5 } }] }), /step 1 expect\.content must be a string/);
    assert.match(refusal({ config: { n: 1 }, steps: [valid.steps[0]] }), /config\.n must be a string/);
    assert.match(refusal({ steps: Array.from({ length: MAX_STEPS + 1 }, () => valid.steps[0]) }), new RegExp(`more than ${MAX_STEPS}`));
    assert.match(refusal(`{"steps": [], "pad": "${'x'.repeat(1024 * 1024)}"}`), /larger than/);
  });

  it('compares a reply with what the step expects', () => {
    const reply = (performative: string, content: string) => ({ reply: { performative, content } });
    assert.deepEqual(stepProblems({ performative: 'inform', content: '4' }, reply('inform', '4')), []);
    assert.deepEqual(stepProblems({ performative: 'inform', content: '4' }, reply('failure', '5')), [
      'performative: expected inform, got failure', 'content: expected "4", got "5"',
    ]);
    assert.deepEqual(stepProblems({ contentIncludes: 'ok' }, reply('inform', 'all ok')), []);
    assert.deepEqual(stepProblems({ contentIncludes: 'ok' }, reply('inform', 'no')), ['content: expected to include "ok", got "no"']);
    assert.deepEqual(stepProblems({ content: '1' }, { noReply: { waitedMs: 500, from: 'counter' } }), ['no message from counter within 500 ms']);
    assert.deepEqual(stepProblems({ content: '1' }, { error: 'refused' }), ['the send failed: refused']);
  });
});

describe('caxton test: TAP', () => {
  it('prints the plan, ok and not ok lines with a YAML block, bail out and the summary', () => {
    assert.equal(tapPlan(3), 'TAP version 13\n1..3\n');
    assert.equal(tapStep({ n: 1, description: 'a.json: step 1', problems: [] }), 'ok 1 - a.json: step 1\n');
    assert.equal(tapStep({ n: 2, description: 'a.json #2\nnext', problems: ['content: expected "4", got "5"'], details: [['expected', { content: '4' }], ['actual', { content: '5' }]] }),
      'not ok 2 - a.json \\#2 next\n  ---\n  problems:\n    - "content: expected \\"4\\", got \\"5\\""\n  expected: {"content":"4"}\n  actual: {"content":"5"}\n  ...\n');
    assert.equal(tapBailOut('the build failed: x'), 'Bail out! the build failed: x\n');
    assert.equal(tapSummary(3, 1), '# pass 3\n# fail 1\n');
  });
});

describe('caxton test: the command line', () => {
  it('refuses --json, a missing directory and a project without scenarios before building anything', async () => {
    const io = (): Io & { err: string } => {
      const o = { err: '', stdout: { write: () => true }, stderr: { write: (s: string) => (o.err += s) }, env: {}, cwd: fileURLToPath(new URL('../../src/', import.meta.url)), now: () => 0, onInterrupt: () => () => {} };
      return o;
    };
    const json = io();
    assert.equal(await run(['test', '.', '--json'], json), 2);
    assert.match(json.err, /prints TAP/);
    const missing = io();
    assert.equal(await run(['test', 'no-such-project'], missing), 2);
    assert.match(missing.err, /no-such-project is not a directory/);
    const empty = io();
    assert.equal(await run(['test', '.'], empty), 2, 'cli/src has no scenarios/');
    assert.match(empty.err, /no scenarios in scenarios/);
  });
});
