/**
 * `caxton test`'s pure parts (decisions 1930, 2030): the scenario file format checked at the
 * boundary with file:line, the matching and comparison of messages and state with what a scenario
 * expects, and the TAP and JUnit it prints. The command runs
 * against a real node in test/e2e/test-command.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { run } from '../src/app.js';
import { UsageError } from '../src/cli-error.js';
import type { Io } from '../src/io.js';
import { addressing, assignMessages, checkNames, MAX_STEPS, parseScenario, stateProblems, stepProblems } from '../src/scenario/scenario.js';
import { JsonSyntaxError, parseLocatedJson } from '../src/scenario/located-json.js';
import { junitReport } from '../src/scenario/junit.js';
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
  it('parses a valid scenario into typed steps, each with the line it is written on', () => {
    assert.deepEqual(parseScenario('s.json', JSON.stringify(valid)), {
      file: 's.json',
      description: 'counts',
      config: { start: '3' },
      agents: [],
      steps: [
        {
          kind: 'send',
          line: 1,
          send: { performative: 'request', content: 'tick' },
          expect: [{ performative: 'inform', content: '4', line: 1 }],
        },
      ],
    });
    const full = [
      '{',
      '  "agents": [{ "name": "ledger", "path": "../ledger", "config": { "k": "v" } }],',
      '  "steps": [',
      '    { "send": { "to": "ledger", "performative": "query-ref", "content": "total" },',
      '      "expect": [{ "from": "ledger", "contentIncludes": "0" }, { "from": "ledger", "to": "counter", "performative": "inform" }] },',
      '    { "advance": "1m30s" }',
      '  ],',
      '  "expect": { "state": { "count": "1", "gone": null } }',
      '}',
    ].join('\n');
    assert.deepEqual(parseScenario('s.json', full), {
      file: 's.json',
      config: {},
      agents: [{ name: 'ledger', path: '../ledger', config: { k: 'v' }, line: 2 }],
      steps: [
        {
          kind: 'send',
          line: 4,
          send: { to: 'ledger', performative: 'query-ref', content: 'total' },
          expect: [
            { from: 'ledger', contentIncludes: '0', line: 5 },
            { from: 'ledger', to: 'counter', performative: 'inform', line: 5 },
          ],
        },
        { kind: 'advance', line: 6, advance: { ms: 90_000, text: '1m30s' }, expect: [] },
      ],
      state: { entries: { count: '1', gone: null }, line: 8 },
    });
  });

  it('refuses a bad file naming file:line, the step and the field', () => {
    assert.match(refusal('{'), /^s\.json:1: is not JSON/);
    assert.match(refusal('{\n  "steps": [],\n  "steps": []\n}'), /^s\.json:3: is not JSON: the key "steps" is given twice/);
    assert.match(refusal([]), /must hold a JSON object/);
    assert.match(refusal({ steps: [] }), /steps must be a non-empty list/);
    assert.match(refusal({ steps: [{}], extra: 1 }), /unknown field extra/);
    const lines =
      '{\n  "steps": [\n    { "send": { "performative": "request", "content": "x" }, "expect": { "content": "y" } },\n    { "send": {\n        "performative": "shout", "content": "x" }, "expect": { "content": "y" } }\n  ]\n}';
    assert.match(refusal(lines), /^s\.json:5: step 2 send\.performative is not a FIPA performative: "shout"/);
    assert.match(
      refusal({ steps: [{ send: { performative: 'request', content: 'x' }, expect: {} }] }),
      /step 1 expect names nothing to check/,
    );
    assert.match(refusal({ steps: [{ send: { performative: 'request', content: 'x' } }] }), /step 1 sends without expect/);
    assert.match(
      refusal({ steps: [{ send: { performative: 'request', content: 'x' }, expect: { content: 5 } }] }),
      /step 1 expect\.content must be a string/,
    );
    assert.match(
      refusal({ steps: [{ send: { performative: 'request', content: 'x' }, expect: [{ content: 'a' }, { size: 1 }] }] }),
      /step 1 expect\[2\] has unknown field size/,
    );
    assert.match(
      refusal({ steps: [{ send: { performative: 'request', content: 'x' }, expect: { from: 'Bad Name', content: 'a' } }] }),
      /step 1 expect\.from is not an agent name/,
    );
    assert.match(
      refusal({ steps: [{ send: { to: 'http', performative: 'request', content: 'x' }, expect: { content: 'a' } }] }),
      /step 1 send\.to names the node's own http service/,
    );
    assert.match(
      refusal({ agents: [{ name: 'x'.repeat(129), path: 'p' }], steps: [valid.steps[0]] }),
      /agents\[1\]\.name is not an agent name: .*1-128 characters/,
    );
    assert.match(
      refusal({ steps: [{ send: { performative: 'request', content: null }, expect: { content: 'a' } }] }),
      /step 1 send\.content must be a string/,
    );
    assert.match(refusal({ steps: [{ advance: 'soon' }] }), /step 1 advance is not a duration: "soon"/);
    assert.match(refusal({ steps: [{ advance: '400d' }] }), /step 1 advance moves the clock more than a year/);
    assert.match(refusal({ steps: [{ wait: '1s' }] }), /step 1 has unknown field wait/);
    assert.match(refusal({ steps: [{ expect: { content: 'a' } }] }), /step 1 has neither send nor advance/);
    assert.match(
      refusal({
        agents: [
          { name: 'a', path: 'x' },
          { name: 'a', path: 'y' },
        ],
        steps: [valid.steps[0]],
      }),
      /agents\[2\]\.name a is deployed twice/,
    );
    assert.match(refusal({ agents: [{ name: 'a' }], steps: [valid.steps[0]] }), /agents\[1\]\.path must be a string/);
    assert.match(refusal({ steps: [valid.steps[0]], expect: { state: { count: 1 } } }), /expect\.state\.count must be a string, or null/);
    assert.match(refusal({ steps: [valid.steps[0]], expect: { state: {} } }), /expect\.state names no key/);
    assert.match(refusal({ steps: [valid.steps[0]], expect: { replies: 2 } }), /expect has unknown field replies/);
    assert.match(refusal({ config: { n: 1 }, steps: [valid.steps[0]] }), /config\.n must be a string/);
    assert.match(refusal({ steps: Array.from({ length: MAX_STEPS + 1 }, () => valid.steps[0]) }), new RegExp(`more than ${MAX_STEPS}`));
    assert.match(refusal(`{"steps": [], "pad": "${'x'.repeat(1024 * 1024)}"}`), /larger than/);
    assert.match(refusal(`{"steps": [${'['.repeat(100)}${']'.repeat(100)}]}`), /nesting deeper than 64/);
  });

  it("takes every agent name the node takes (core's rule): upper case, dots, underscores, 128 characters", () => {
    const long = `A${'b'.repeat(127)}`;
    const s = parseScenario(
      's.json',
      '{"agents": [{"name": "ledger.v2", "path": "l"},\n {"name": "' +
        long +
        '", "path": "m"}],\n "steps": [{"send": {"to": "ledger.v2", "performative": "request", "content": "x"},\n "expect": {"from": "My_Agent", "content": "y"}}]}',
    );
    assert.deepEqual(
      s.agents.map((a) => a.name),
      ['ledger.v2', long],
    );
    checkNames(s, 'My_Agent');
    assert.match(
      refusal(
        '{"agents": [{"name": "ledger.v2", "path": "l"}],\n "steps": [{"send": {"to": "ledger.v2",\n "performative": "shout", "content": "x"}, "expect": {"content": "y"}}]}',
      ),
      /^s\.json:3: step 1 send\.performative/,
      'a dotted name does not confuse the lines',
    );
  });

  it('checks the names a scenario uses once the agent under test has one', () => {
    const s = parseScenario(
      's.json',
      JSON.stringify({
        agents: [{ name: 'ledger', path: 'l' }],
        steps: [{ send: { to: 'ledger', performative: 'request', content: 'x' }, expect: { from: 'ledger', to: 'counter', content: 'y' } }],
      }),
    );
    checkNames(s, 'counter');
    assert.throws(() => checkNames(s, 'other'), /s\.json:1: step 1 expects a message of counter, which the scenario does not deploy/);
    assert.throws(() => checkNames(s, 'ledger'), /agents: ledger is the agent under test/);
  });

  it('compares a message with what an expectation wants, and the state with expect.state', () => {
    const reply = (performative: string, content: string) => ({ reply: { performative, content } });
    assert.deepEqual(stepProblems({ performative: 'inform', content: '4' }, reply('inform', '4')), []);
    assert.deepEqual(stepProblems({ performative: 'inform', content: '4' }, reply('failure', '5')), [
      'performative: expected inform, got failure',
      'content: expected "4", got "5"',
    ]);
    assert.deepEqual(stepProblems({ contentIncludes: 'ok' }, reply('inform', 'all ok')), []);
    assert.deepEqual(stepProblems({ contentIncludes: 'ok' }, reply('inform', 'no')), ['content: expected to include "ok", got "no"']);
    assert.deepEqual(stepProblems({ content: '1' }, { noReply: { waitedMs: 500, from: 'counter' } }), [
      'no message from counter within 500 ms',
    ]);
    assert.deepEqual(stepProblems({ content: '1' }, { noReply: { waitedMs: 500, from: 'counter', to: 'ledger' } }), [
      'no message from counter to ledger within 500 ms',
    ]);
    assert.deepEqual(stepProblems({ content: '1' }, { error: 'refused' }), ['the step failed: refused']);
    const state = new Map([
      ['count', '2'],
      ['other', 'x'],
    ]);
    assert.deepEqual(stateProblems({ count: '2', gone: null }, state), []);
    assert.deepEqual(stateProblems({ count: '3', other: null, missing: 'y' }, state), [
      'state "count": expected "3", got "2"',
      'state "other": expected absent, got "x"',
      'state "missing": expected "y", got nothing (no such key)',
    ]);
  });

  it('finds the message an expectation is about: from whom the step sent to, to the scenario in its conversation unless it names another', () => {
    const send = parseScenario(
      's.json',
      JSON.stringify({
        steps: [{ send: { performative: 'request', content: 'x' }, expect: [{ content: 'a' }, { to: 'ledger', content: 'b' }] }],
      }),
    ).steps[0]!;
    const seen = [
      { from: 'tester', to: ['counter'], conversationId: 'c1', performative: 'request', content: 'x' },
      { from: 'counter', to: ['ledger'], conversationId: 'c1', performative: 'request', content: 'add' },
      { from: 'counter', to: ['tester'], conversationId: 'c0', performative: 'inform', content: 'old' },
      { from: 'counter', to: ['tester'], conversationId: 'c1', performative: 'inform', content: 'new' },
    ];
    const wanted = send.expect.map((e) => addressing(send, e, 'counter', 'tester', 'c1'));
    assert.deepEqual(
      assignMessages(seen, wanted).map((m) => m?.content),
      ['new', 'add'],
      "the reply in the step's conversation, not an older one",
    );
    const twice = [wanted[0]!, wanted[0]!];
    assert.deepEqual(
      assignMessages(seen, twice).map((m) => m?.content),
      ['new', undefined],
      'two expectations are two messages',
    );
    assert.deepEqual(
      assignMessages([...seen, { ...seen[3]!, content: 'newer' }], twice).map((m) => m?.content),
      ['new', 'newer'],
      'in the order seen',
    );
    const advance = parseScenario('s.json', JSON.stringify({ steps: [{ advance: '1s', expect: { content: 'a' } }] })).steps[0]!;
    assert.deepEqual(addressing(advance, advance.expect[0]!, 'counter', 'tester', 'c1'), { from: 'counter', to: undefined });
  });
});

describe('caxton test: located JSON', () => {
  it('reads what JSON.parse reads, and knows the line of every value', () => {
    const text = '{\n "a": [1, -2.5e3, "x\\n\\u00e9"],\n "b": {\n  "c": true, "d": null\n }\n}';
    const located = parseLocatedJson(text);
    assert.deepEqual(located.value, JSON.parse(text));
    assert.equal(located.lineOf(['a', 1]), 2);
    assert.equal(located.lineOf(['b', 'd']), 4);
    assert.equal(located.lineOf(['b', 'nothing', 'deeper']), 3, 'a path not there: its nearest parent');
    const dotted = parseLocatedJson('{"a.b": 1,\n "a": {\n "b": 2}, "": [\n 3]}');
    assert.equal(dotted.lineOf(['a.b']), 1, 'a key with a dot is one segment');
    assert.equal(dotted.lineOf(['a', 'b']), 3, 'not the key "a.b"');
    assert.equal(dotted.lineOf(['', 0]), 4, 'an empty key is a key, not the root');
    assert.equal(
      (parseLocatedJson('{"__proto__": {"x": 1}}').value as Record<string, unknown>).__proto__ !== Object.prototype,
      true,
      'an own key, no prototype change',
    );
    assert.deepEqual(parseLocatedJson('\uFEFF{"a": 1}').value, { a: 1 }, 'a byte-order mark is skipped');
    assert.equal(parseLocatedJson('{"a": 1,\r "b":\r\n 2}').lineOf(['b']), 3, 'a lone CR ends a line, CR LF once');
    for (const [bad, line] of [
      ['{"a":\n "x\\u12"\n}', 2],
      ['{"a":\n "x\\q"}', 2],
      ['{"a": "\\u00e9\\uD83D\\uDE00\\/"}', 0],
    ] as const) {
      if (line === 0) assert.equal((parseLocatedJson(bad).value as { a: string }).a, JSON.parse(bad).a, bad);
      else
        assert.throws(
          () => parseLocatedJson(bad),
          (err: unknown) => err instanceof JsonSyntaxError && err.line === line,
          bad,
        );
    }
    for (const bad of ['', '{"a": 1,}', '[1 2]', '{"a": "b\n"}', '01', '{"a": tru}', '"x" y'])
      assert.throws(() => parseLocatedJson(bad), JsonSyntaxError, bad);
  });

  it('parses a worst case for paths, a long key over a big array in a 1 MiB file, keeping each line', () => {
    // Paths built as strings cost key length × elements: this file (500 K-char key, 260 K elements)
    // did not finish in 100 s that way, and grew without bound. A location tree costs one node per value.
    const elements = 260_000;
    const key = 'k'.repeat(1024 * 1024 - elements * 2 - 16);
    const text = `{"${key}":\n[${'0,'.repeat(elements - 1)}\n0]}`;
    assert.ok(Buffer.byteLength(text) <= 1024 * 1024, `${Buffer.byteLength(text)} bytes: within MAX_SCENARIO_BYTES`);
    const located = parseLocatedJson(text);
    assert.equal((located.value as Record<string, unknown[]>)[key]!.length, elements);
    assert.equal(located.lineOf([key]), 2);
    assert.equal(located.lineOf([key, 0]), 2);
    assert.equal(located.lineOf([key, elements - 1]), 3);
  });
});

describe('caxton test: JUnit', () => {
  it('writes a testsuite with a testcase per scenario and the failures, escaped', () => {
    const xml = junitReport(
      'counter',
      [
        { name: 'scenarios/a.json', classname: 'counter', timeMs: 1250, failures: [] },
        {
          name: 'scenarios/b.json (<wrong> & "odd")',
          classname: 'counter',
          timeMs: 500,
          failures: ['step 2: content: expected "5", got "2"'],
          details: 'step 2\n  expected: {"content":"5"}\u0001',
        },
      ],
      { timestamp: '2026-11-24T12:00:00' },
    );
    assert.equal(
      xml,
      [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<testsuites name="caxton test" tests="2" failures="1" errors="0" time="1.750">',
        '  <testsuite name="counter" tests="2" failures="1" errors="0" skipped="0" time="1.750" timestamp="2026-11-24T12:00:00">',
        '    <testcase name="scenarios/a.json" classname="counter" time="1.250"/>',
        '    <testcase name="scenarios/b.json (&lt;wrong&gt; &amp; &quot;odd&quot;)" classname="counter" time="0.500">',
        '      <failure message="step 2: content: expected &quot;5&quot;, got &quot;2&quot;" type="caxton.scenario">step 2\n  expected: {&quot;content&quot;:&quot;5&quot;}\ufffd</failure>',
        '    </testcase>',
        '  </testsuite>',
        '</testsuites>',
        '',
      ].join('\n'),
    );
    assert.equal(
      junitReport('proj', [{ name: 'build', classname: 'proj', timeMs: 0, failures: [], error: 'the build failed: <x>\n  at line 3\r' }], {
        timestamp: 't',
      }),
      [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<testsuites name="caxton test" tests="1" failures="0" errors="1" time="0.000">',
        '  <testsuite name="proj" tests="1" failures="0" errors="1" skipped="0" time="0.000" timestamp="t">',
        '    <testcase name="build" classname="proj" time="0.000">',
        '      <error message="the build failed: &lt;x&gt;" type="caxton.run">the build failed: &lt;x&gt;\n  at line 3&#13;</error>',
        '    </testcase>',
        '  </testsuite>',
        '</testsuites>',
        '',
      ].join('\n'),
      'a build failure is an error inside a testcase, where CI systems show it',
    );
    const interrupted = junitReport(
      'c',
      [
        { name: 'a.json', classname: 'c', timeMs: 10, failures: [] },
        { name: 'b.json (two\nlines\tand a tab)', classname: 'c', timeMs: 0, failures: [], skipped: 'interrupted' },
      ],
      { timestamp: 't' },
    );
    assert.match(interrupted, /<testsuite name="c" tests="2" failures="0" errors="0" skipped="1" /);
    assert.match(
      interrupted,
      /<testcase name="b\.json \(two&#10;lines&#9;and a tab\)" classname="c" time="0\.000">\n {6}<skipped message="interrupted"\/>\n {4}<\/testcase>/,
      'not run: skipped; newlines and tabs in attributes kept as references',
    );
  });
});

describe('caxton test: TAP', () => {
  it('prints the plan, ok and not ok lines with a YAML block, bail out and the summary', () => {
    assert.equal(tapPlan(3), 'TAP version 13\n1..3\n');
    assert.equal(tapStep({ n: 1, description: 'a.json: step 1', problems: [] }), 'ok 1 - a.json: step 1\n');
    assert.equal(
      tapStep({
        n: 2,
        description: 'a.json #2\nnext',
        problems: ['content: expected "4", got "5"'],
        details: [
          ['expected', { content: '4' }],
          ['actual', { content: '5' }],
        ],
      }),
      'not ok 2 - a.json \\#2 next\n  ---\n  problems:\n    - "content: expected \\"4\\", got \\"5\\""\n  expected: {"content":"4"}\n  actual: {"content":"5"}\n  ...\n',
    );
    assert.equal(tapBailOut('the build failed: x'), 'Bail out! the build failed: x\n');
    assert.equal(tapSummary(3, 1), '# pass 3\n# fail 1\n');
  });
});

describe('caxton test: the command line', () => {
  it('refuses --json, a missing directory and a project without scenarios before building anything', async () => {
    const io = (): Io & { err: string } => {
      const o = {
        err: '',
        stdout: { write: () => true },
        stderr: { write: (s: string) => (o.err += s) },
        env: {},
        cwd: fileURLToPath(new URL('../../src/', import.meta.url)),
        now: () => 0,
        onInterrupt: () => () => {},
      };
      return o;
    };
    const json = io();
    assert.equal(await run(['test', '.', '--json'], json), 2);
    assert.match(json.err, /prints TAP or JUnit/);
    const missing = io();
    assert.equal(await run(['test', 'no-such-project'], missing), 2);
    assert.match(missing.err, /no-such-project is not a directory/);
    const empty = io();
    assert.equal(await run(['test', '.'], empty), 2, 'cli/src has no scenarios/');
    assert.match(empty.err, /no scenarios in scenarios/);
  });
});
