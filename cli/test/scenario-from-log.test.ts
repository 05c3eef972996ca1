/**
 * `caxton test --from-log` (issue 57, "Scenarios from real traffic"), its pure part: recorded
 * events of one agent → one conversation's handlings → a scenario file, read back with the real
 * parser. What the format cannot carry is left out and said; what it cannot start from (state
 * before the conversation, other work changing it in between) or what did not run again as
 * recorded is refused with a hint; so are a conversation the log does not hold and the bounds.
 * The command itself, with a real recorded version run again, in-process on an export file here
 * and against a real node in test/e2e/test-from-log.test.ts.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { timerSetStateKey, type AclMessage, type Delivery, type Performative, type StateWrite } from '@caxton/core';
import { writeReplayExport, type RecordedEvent } from '@caxton/runtime/replay';
import { run } from '../src/app.js';
import { UsageError } from '../src/cli-error.js';
import { defaultScenarioFile } from '../src/commands/test-from-log.js';
import {
  ConversationPicker,
  MAX_FROM_LOG_HANDLINGS,
  scenarioFromLog,
  type PickedConversation,
  type RanAgain,
} from '../src/scenario/from-log.js';
import { MAX_SCENARIO_BYTES, parseScenario } from '../src/scenario/scenario.js';
import { captureIo } from './support/capture-io.js';

const OPERATOR = 'operator@caxton';
let seq = 0;

function delivery(conversationId: string | undefined, performative: Performative, content: string, sender = OPERATOR): Delivery {
  seq++;
  return {
    id: `m${seq}>counter`,
    messageId: `m${seq}`,
    receiver: 'counter',
    message: {
      performative,
      sender: { name: sender },
      receivers: [{ name: 'counter@caxton' }],
      content,
      ...(conversationId === undefined ? {} : { conversationId }),
    },
    acceptedAt: 1_790_000_000_000 + seq,
  };
}

function handled(d: Delivery, state: StateWrite[] = [], sends: AclMessage[] = [], sendIndexes = sends.map((_, i) => i)): RecordedEvent {
  return { kind: 'handled', work: { kind: 'message', delivery: d }, state, sends, sendIndexes, position: `1.${seq * 100}` };
}

function replyTo(d: Delivery, performative: Performative, content: string): AclMessage {
  return {
    performative,
    sender: { name: 'counter@caxton' },
    receivers: [d.message.sender!],
    content,
    ...(d.message.conversationId === undefined ? {} : { conversationId: d.message.conversationId }),
  };
}

function ran(outbox: AclMessage[], writes: StateWrite[] = [], more: Partial<RanAgain> = {}): RanAgain {
  return { completed: true, outcome: 'ok', outbox, writes, clockReads: 0, secureRandomBytes: 0, ...more };
}

function pick(conversation: string, events: RecordedEvent[], max?: number): PickedConversation {
  const p = new ConversationPicker('counter', conversation, max);
  for (const e of events) p.add(e);
  return p.result();
}

function make(picked: PickedConversation, ranAgain: RanAgain[]): ReturnType<typeof scenarioFromLog> {
  return scenarioFromLog({ picked, ranAgain, identity: 'counter@caxton', version: 3, config: { step: '1' }, file: 'scenarios/c.json' });
}

/** The refusal's message and hint, asserted typed. */
function refusal(f: () => unknown): { message: string; hint: string } {
  try {
    f();
  } catch (err) {
    assert.ok(err instanceof UsageError, String(err));
    assert.ok(err.hint, `a hint for: ${err.message}`);
    return { message: err.message, hint: err.hint };
  }
  assert.fail('accepted');
}

const w = (key: string, value: string | null): StateWrite => ({ key, value });

describe('caxton test --from-log: one conversation of a log → a scenario', () => {
  it('sends the conversation again and expects the replies and the state it left, read back by the parser', () => {
    const a = delivery('c-1', 'request', '+1');
    const other = delivery('c-2', 'query-ref', 'count'); // another conversation, between: no state changed
    const b = delivery('c-1', 'request', '+1');
    const q = delivery('c-1', 'query-ref', 'count');
    const events: RecordedEvent[] = [
      { kind: 'state', reset: true, writes: [], position: '1.24' },
      handled(a, [w('count', '1'), w(timerSetStateKey('t1'), '{"token":"x","delayMs":10}')]),
      handled(other),
      handled(b, [w('count', '2'), w('tmp', null)]),
      handled(q),
    ];
    const picked = pick('c-1', events);
    assert.deepEqual(
      picked.handlings.map((h) => [h.n, h.delivery.messageId, h.writes]),
      [
        [1, a.messageId, [w('count', '1')]],
        [2, b.messageId, [w('count', '2'), w('tmp', null)]],
        [3, q.messageId, []],
      ],
      'its handlings only, in commit order, own writes only',
    );
    assert.equal(picked.interleaved, 1);
    // The replies went to the API caller: not in the log, so they come from the run again.
    const made = make(picked, [
      ran([replyTo(a, 'inform', '1')], [w('count', '1')]),
      ran([replyTo(b, 'inform', '2')], [w('count', '2'), w('tmp', null)]),
      ran([replyTo(q, 'inform', '2')]),
    ]);
    const parsed = parseScenario('scenarios/c.json', made.text);
    assert.deepEqual(parsed, made.scenario);
    assert.deepEqual(parsed.config, { step: '1' }, 'the deployment config');
    assert.deepEqual(
      parsed.steps.map((s) => (s.kind === 'send' ? [s.send, s.expect.map(({ line: _, ...e }) => e)] : s.kind)),
      [
        [{ performative: 'request', content: '+1' }, [{ performative: 'inform', content: '1' }]],
        [{ performative: 'request', content: '+1' }, [{ performative: 'inform', content: '2' }]],
        [{ performative: 'query-ref', content: 'count' }, [{ performative: 'inform', content: '2' }]],
      ],
    );
    assert.deepEqual(parsed.state?.entries, { count: '2', tmp: null });
    assert.deepEqual([made.expectations, made.stateKeys], [3, 2]);
    assert.match(
      parsed.description ?? '',
      /^conversation c-1 of counter \(version 3\) from its log: 3 handlings, each step sent by the scenario in place of operator@caxton in a conversation of its own; left out: /,
    );
    assert.match(made.leftOut.join('\n'), /1 timer set: not fired/);
    assert.match(made.leftOut.join('\n'), /1 handling of other work between its handlings/);
    // A step's lines in the file: a report's file:line points at it.
    assert.deepEqual(
      parsed.steps.map((s) => s.line),
      [5, 9, 13],
    );
  });

  it('expects a reply to an agent sender from the scenario, and leaves out sends to other agents, saying so', () => {
    const d = delivery('deal', 'request', 'price?', 'broker@caxton');
    d.message.protocol = 'fipa-request';
    d.message.replyWith = 'r1';
    const agree = replyTo(d, 'agree', '');
    const toLedger: AclMessage = { performative: 'inform', receivers: [{ name: 'ledger' }], content: 'sold', conversationId: 'deal' };
    const inform = replyTo(d, 'inform', '42');
    // The log holds all three (to agents of the node): their outbox indexes 0, 1, 2.
    const picked = pick('deal', [handled(d, [], [agree, toLedger, inform])]);
    const made = make(picked, [ran([agree, toLedger, inform], [], { outcome: 'ok' })]);
    const step = made.scenario.steps[0]!;
    assert.deepEqual(
      step.expect.map(({ line: _, ...e }) => e),
      [
        { performative: 'agree', content: '' },
        { performative: 'inform', content: '42' },
      ],
    );
    const left = made.leftOut.join('\n');
    assert.match(left, /sends to other agents \(ledger\): a scenario from the log deploys none of them/);
    assert.match(left, /the messages' protocol, reply-with \(a step sends a performative and a content\)/);
    assert.match(made.scenario.description ?? '', /in place of broker@caxton/);
    assert.equal(made.scenario.state, undefined, 'no state written: no expect.state');
  });

  it('expects only the performative of a reply whose handling read the clock or secure randomness', () => {
    const d = delivery('t', 'query-ref', 'now');
    const made = make(pick('t', [handled(d)]), [ran([replyTo(d, 'inform', '1790000000001')], [], { clockReads: 1 })]);
    assert.deepEqual(
      made.scenario.steps[0]!.expect.map(({ line: _, ...e }) => e),
      [{ performative: 'inform' }],
    );
    assert.match(made.leftOut.join('\n'), /reply content of #1: they read the clock or secure randomness/);
  });

  it('leaves out a handling with nothing to expect that wrote nothing; refuses one that wrote state', () => {
    const note = delivery('n', 'inform', 'fyi');
    const q = delivery('n', 'query-ref', 'count');
    const made = make(pick('n', [handled(note), handled(q)]), [ran([]), ran([replyTo(q, 'inform', '0')])]);
    assert.equal(made.scenario.steps.length, 1);
    assert.match(made.leftOut.join('\n'), /handlings #1: nothing to expect back, no state written/);

    const set = delivery('s', 'inform', 'count=5');
    const r = refusal(() => make(pick('s', [handled(set, [w('count', '5')])]), [ran([], [w('count', '5')])]));
    assert.match(r.message, /handling #1 of conversation s \(inform at .*\) sent nothing a scenario can expect back .* and wrote state/);
    assert.match(r.hint, /the format has no step that only sends/);
    const only = delivery('o', 'inform', 'fyi');
    assert.match(refusal(() => make(pick('o', [handled(only)]), [ran([])])).message, /no handling replied to its sender/);
  });

  it('refuses a conversation that began on state, or whose handlings other work changed the state between', () => {
    const first = delivery('c-1', 'request', '+1');
    const second = delivery('c-2', 'request', '+1');
    const r = refusal(() => pick('c-2', [handled(first, [w('count', '1')]), handled(second, [w('count', '2')])]));
    assert.match(
      r.message,
      /counter had state when conversation c-2 began \(1 key, e\.g\. "count"\): a scenario starts the agent with empty state/,
    );
    assert.match(r.hint, /no initial state/);
    // Reserved bookkeeping is not the agent's state; a snapshot that resets to empty empties it.
    const a = delivery('c-3', 'request', '+1');
    assert.equal(
      pick('c-3', [
        handled(first, [w('count', '1'), w(timerSetStateKey('t'), '{}')]),
        { kind: 'state', reset: true, writes: [w(timerSetStateKey('t'), '{}')], position: '1.9' },
        handled(a, [w('count', '1')]),
      ]).handlings.length,
      1,
    );

    const x = delivery('x', 'request', '+1');
    const y = delivery('y', 'request', '+1');
    const x2 = delivery('x', 'query-ref', 'count');
    const i = refusal(() => pick('x', [handled(x, [w('count', '1')]), handled(y, [w('count', '2')]), handled(x2)]));
    assert.match(
      i.message,
      /conversation x of counter interleaves with other work that changed its state \(request from operator@caxton in conversation y at .*\) before its handling #2/,
    );
    assert.match(i.hint, /caxton replay counter --conversation x --all/);
    // A change after its last handling is no matter; nor is a snapshot that rewrites the same state.
    assert.equal(
      pick('x', [
        handled(x, [w('count', '1')]),
        { kind: 'state', reset: true, writes: [w('count', '1')], position: '1.5' },
        handled(x2),
        handled(y, [w('count', '2')]),
      ]).handlings.length,
      2,
    );
  });

  it('refuses a conversation the recorded version did not run again as recorded', () => {
    const d = delivery('r', 'request', '+1');
    const sent: AclMessage = { performative: 'inform', receivers: [{ name: 'ledger@caxton' }], content: '1', conversationId: 'r' };
    const picked = pick('r', [handled(d, [w('count', '1')], [sent], [1])]);
    const reply = replyTo(d, 'inform', '1');
    assert.equal(make(picked, [ran([reply, { ...sent, receivers: [{ name: 'ledger' }] }], [w('count', '1')])]).expectations, 1);
    const cases: [RanAgain, RegExp][] = [
      [
        ran([], [], { completed: false, outcome: 'crashed (trap): unreachable' }),
        /did not complete when the recorded version ran it again: crashed/,
      ],
      [ran([reply, sent], [w('count', '2')]), /wrote other state/],
      [ran([reply, { ...sent, content: '2' }], [w('count', '1')]), /sent other messages/],
      [ran([reply], [w('count', '1')]), /sent other messages/],
    ];
    for (const [again, message] of cases) {
      const r = refusal(() => make(picked, [again]));
      assert.match(r.message, message);
      assert.match(r.hint, /caxton replay counter --conversation r --all/);
    }
  });

  it('says a conversation is not in the log, naming the most recent ones that are', () => {
    const events = ['a', 'b', 'a', 'c', 'd', 'e', 'f'].map((c) => handled(delivery(c, 'query-ref', 'count')));
    events.push({ kind: 'dead-lettered', delivery: delivery('gone', 'request', '+1'), position: '9.1' });
    const r = refusal(() => pick('nope', events));
    assert.equal(r.message, 'conversation nope is not in the log of counter');
    assert.equal(r.hint, 'conversations of counter in the log, most recent last: a, c, d, e, f');
    const dead = refusal(() => pick('gone', events));
    assert.match(dead.message, /\(1 of its deliveries were dead-lettered: none was handled to completion\)/);
    assert.match(refusal(() => pick('x', [])).hint, /no handling of counter with a conversation id/);
  });

  it('is bounded: handlings, replies per step, and the file size', () => {
    assert.equal(MAX_FROM_LOG_HANDLINGS, 200);
    const many = Array.from({ length: 4 }, () => handled(delivery('m', 'query-ref', 'count')));
    assert.match(
      refusal(() => pick('m', many, 3)).message,
      /conversation m of counter has more than 3 handlings: too many for one scenario/,
    );
    const d = delivery('m', 'request', 'spam');
    const replies = Array.from({ length: 101 }, () => replyTo(d, 'inform', 'x'));
    assert.match(
      refusal(() => make(pick('m', [handled(d)]), [ran(replies)])).message,
      /sent 101 replies: a scenario step expects at most 100/,
    );
    const big = delivery('b', 'request', 'x'.repeat(MAX_SCENARIO_BYTES));
    assert.match(
      refusal(() => make(pick('b', [handled(big)]), [ran([replyTo(big, 'inform', 'ok')])])).message,
      /would be larger than 1048576 bytes/,
    );
  });

  it('names the default file after the conversation', () => {
    assert.equal(defaultScenarioFile('count-7'), 'from-log-count-7.json');
    assert.equal(defaultScenarioFile('../a b/c'), 'from-log-a-b-c.json');
    assert.equal(defaultScenarioFile('///'), 'from-log-conversation.json');
  });
});

describe('caxton test --from-log: the command line', () => {
  const counterWasm = fileURLToPath(new URL('../../../examples/as-state-counter/build/as-state-counter.wasm', import.meta.url));

  it('refuses its flags without --from-log, and --from-log without --agent', async () => {
    for (const [args, message] of [
      [['test', '.', '--agent', 'counter'], /--agent only goes with --from-log/],
      [['test', '.', '--force'], /--force only goes with --from-log/],
      [['test', '.', '--from-log', 'c-1'], /--from-log needs --agent <name>/],
      [
        ['test', '.', '--from-log', 'c-1', '--agent', 'counter', '--scenario', 'x.json'],
        /--from-log writes a scenario; --scenario runs them/,
      ],
    ] as const) {
      const io = captureIo();
      assert.equal(await run([...args], io), 2, io.err);
      assert.match(io.err, message);
    }
  });

  it('writes the scenario of a conversation in an export file, with the recorded version run again for its replies', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'caxton-from-log-'));
    try {
      const a = delivery('talk', 'request', '+1');
      const b = delivery('talk', 'request', '+1');
      const q = delivery('talk', 'query-ref', 'count');
      const events: RecordedEvent[] = [handled(a, [w('count', '1')]), handled(b, [w('count', '2')]), handled(q)];
      const file = path.join(dir, 'counter.caxton-replay');
      await writeReplayExport(file, {
        // The digest of the component the export carries: the recorded version's (replay-source.ts checks it).
        deployment: {
          name: 'counter',
          version: 1,
          artifactDigest: createHash('sha256').update(readFileSync(counterWasm)).digest('hex'),
          createdAt: 1_790_000_000_000,
        },
        identity: 'counter@caxton',
        servicesByType: new Map(),
        component: readFileSync(counterWasm),
        events: (async function* () {
          yield* events;
        })(),
      });
      const io = Object.assign(captureIo(), { cwd: dir });
      const args = ['test', '--from-log', 'talk', '--agent', 'counter', '--input', file, '--json'];
      assert.equal(await run(args, io), 0, io.err);
      const out = JSON.parse(io.out) as { file: string; steps: number; expectations: number; stateKeys: number };
      assert.deepEqual(out, {
        type: 'scenario',
        file: path.join('scenarios', 'from-log-talk.json'),
        agent: 'counter',
        conversation: 'talk',
        version: 1,
        handlings: 3,
        steps: 3,
        expectations: 3,
        stateKeys: 1,
        leftOut: [],
      });
      const text = await readFile(path.join(dir, out.file), 'utf8');
      const s = parseScenario('s.json', text);
      assert.deepEqual(
        s.steps.map((x) => x.expect.map((e) => e.content)),
        [['1'], ['2'], ['2']],
      );
      assert.deepEqual(s.state?.entries, { count: '2' });

      const again = Object.assign(captureIo(), { cwd: dir });
      assert.equal(await run(args, again), 2, 'an existing file is not replaced');
      assert.match(again.err, /scenarios\/from-log-talk\.json exists\n {2}hint: give --force/);
      await writeFile(path.join(dir, out.file), 'old');
      const forced = Object.assign(captureIo(), { cwd: dir });
      assert.equal(await run([...args, '--force'], forced), 0, forced.err);
      assert.equal(await readFile(path.join(dir, out.file), 'utf8'), text);

      const missing = Object.assign(captureIo(), { cwd: dir });
      assert.equal(await run(['test', '--from-log', 'other', '--agent', 'counter', '--input', file, '--out', 'x.json'], missing), 2);
      assert.match(
        missing.err,
        /conversation other is not in the log of counter\n {2}hint: conversations of counter in the log, most recent last: talk/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
