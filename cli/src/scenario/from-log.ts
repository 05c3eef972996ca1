/**
 * `caxton test --from-log` (issue 57, "Scenarios from real traffic"): one conversation out of one
 * agent's recorded history, made into a scenario file of scenario.ts's format that `caxton test`
 * runs against the agent's project. Pure: recorded events in, a scenario out; reading the log and
 * running the recorded version again are test-from-log*.ts's.
 *
 * What the format can say decides what the scenario says (decision-worthy, so written down here
 * and in docs/replay.md, "Scenarios from real traffic"):
 * - It has no initial state: `caxton test` deploys the agent fresh, state empty. A conversation
 *   whose first handling ran on non-empty own state is refused, and so is one whose handlings
 *   interleave with other work (other conversations, timers, an operator's commit) that changed
 *   the state in between: either would run on other state than the recorded one.
 * - A step's message is sent by the scenario itself, in a conversation of its own: no sender
 *   field, no conversation id, performative and content only. The recorded senders, and the
 *   message fields not sent (protocol, reply-with…), are said in the description.
 * - Each step must expect something back: a reply to the scenario (the recorded sender's place),
 *   or a message between agents the scenario deploys — it deploys none here, so what the agent
 *   sent to other agents is left out and said. A handling that sent nothing expectable is left
 *   out when it wrote no state, and refused when it did (the steps after would run on other state).
 * - Replies to an API caller are not in the log (docs/replay.md): each handling's outbox is the
 *   one the recorded version sends when run again on the recorded work from the same state,
 *   and that run must match the record (completed, the same own writes, the same sends the log
 *   holds), else the conversation is refused. A handling that read the clock or secure
 *   randomness is expected by performative only: its content need not come out the same.
 * - `expect.state`: the keys the conversation wrote, as it left them (null: deleted).
 */
import {
  ownStateWrites,
  timerIdOfSetKey,
  TRACEPARENT_PARAM,
  TRACESTATE_PARAM,
  type AclMessage,
  type Delivery,
  type StateWrite,
} from '@caxton/core';
import type { RecordedEvent } from '@caxton/runtime/replay';
import { UsageError } from '../cli-error.js';
import { MAX_EXPECTATIONS, MAX_SCENARIO_BYTES, MAX_STEPS, parseScenario, type Scenario } from './scenario.js';

/** Handlings of one conversation made into one scenario, at most (a test, not a load run). */
export const MAX_FROM_LOG_HANDLINGS = 200;
/** Conversation ids a not-found refusal names (the most recent seen). */
const SHOWN_CONVERSATIONS = 5;
/** The description is shown with every step of the report: kept short. */
const MAX_DESCRIPTION = 600;

/** One handling of the conversation, as the log recorded it. */
export interface ConversationHandling {
  /** 1-based among the conversation's handlings. */
  n: number;
  position: string;
  delivery: Delivery;
  /** Its own state writes (the runtime's reserved bookkeeping left out), in order. */
  writes: StateWrite[];
  /** Timers it set (their records ride in its commit). */
  timersSet: number;
  /** What it sent that the log holds, with each one's outbox index. */
  sends: readonly AclMessage[];
  sendIndexes: readonly number[];
}

/** One conversation picked out of an agent's history. */
export interface PickedConversation {
  agent: string;
  conversation: string;
  handlings: ConversationHandling[];
  /** Deliveries of the conversation moved aside (never handled to completion). */
  deadLettered: number;
  /** Handlings of other work between the conversation's first and last that changed no own state. */
  interleaved: number;
}

function describeWork(e: Extract<RecordedEvent, { kind: 'handled' }>): string {
  const w = e.work;
  if (w.kind === 'timer') return `a timer firing (${w.token ?? w.timerId}) at ${e.position}`;
  const m = w.delivery.message;
  const conv = m.conversationId === undefined ? 'no conversation' : `conversation ${m.conversationId}`;
  return `${m.performative} from ${m.sender?.name ?? '?'} in ${conv} at ${e.position}`;
}

/**
 * Reads an agent's events in commit order and keeps one conversation's handlings, checking as it
 * goes that a scenario can start where the conversation started (see the file comment). Bounded:
 * at most MAX_FROM_LOG_HANDLINGS handlings are kept (a refusal past them), and the agent's own
 * state as the log moves it (what a replay keeps too).
 */
export class ConversationPicker {
  private readonly state = new Map<string, string>();
  private readonly handlings: ConversationHandling[] = [];
  private readonly recent: string[] = [];
  private deadLettered = 0;
  /** Other work that changed the state since the conversation's last handling, if any. */
  private changedBy: string | undefined;
  private othersSince = 0;
  private interleaved = 0;

  constructor(
    readonly agent: string,
    readonly conversation: string,
    private readonly max = MAX_FROM_LOG_HANDLINGS,
  ) {}

  add(e: RecordedEvent): void {
    if (e.kind === 'dead-lettered') {
      if (e.delivery.message.conversationId === this.conversation) this.deadLettered++;
      return;
    }
    if (e.kind === 'state') {
      const what = e.reset
        ? `a state snapshot or reset at ${e.position}`
        : `a state commit (an operator's, or of work retention deleted) at ${e.position}`;
      this.applyOther(e.writes, e.reset, what);
      return;
    }
    const conv = e.work.kind === 'message' ? e.work.delivery.message.conversationId : undefined;
    if (conv !== undefined) this.saw(conv);
    if (e.work.kind !== 'message' || conv !== this.conversation) {
      this.othersSince++;
      this.applyOther(e.state, false, describeWork(e));
      return;
    }
    const n = this.handlings.length + 1;
    if (n === 1 && this.state.size > 0) {
      const keys = [...this.state.keys()];
      throw new UsageError(
        `${this.agent} had state when conversation ${this.conversation} began (${keys.length} key${keys.length === 1 ? '' : 's'}, e.g. ${JSON.stringify(keys[0]!.slice(0, 60))}): a scenario starts the agent with empty state`,
        'the scenario format has no initial state: choose a conversation the agent began with empty state, or write the steps that build that state by hand (docs/writing-agents.md, "Scenario tests")',
      );
    }
    if (this.changedBy !== undefined)
      throw new UsageError(
        `conversation ${this.conversation} of ${this.agent} interleaves with other work that changed its state (${this.changedBy}) before its handling #${n} at ${e.position}: a scenario replays the conversation alone, and would run that handling on other state`,
        `choose a conversation whose handlings ran without others changing the state in between; caxton replay ${this.agent} --conversation ${this.conversation} --all shows its handlings`,
      );
    if (n > this.max)
      throw new UsageError(
        `conversation ${this.conversation} of ${this.agent} has more than ${this.max} handlings: too many for one scenario`,
        `a scenario from the log holds at most ${this.max} handlings; replay a long conversation with caxton replay ${this.agent} --conversation ${this.conversation}`,
      );
    if (n > 1) this.interleaved += this.othersSince;
    this.othersSince = 0;
    const writes = ownStateWrites(e.state);
    const timersSet = e.state.filter((w) => w.value !== null && timerIdOfSetKey(w.key) !== undefined).length;
    this.handlings.push({
      n,
      position: e.position,
      delivery: e.work.delivery,
      writes,
      timersSet,
      sends: e.sends,
      sendIndexes: e.sendIndexes,
    });
    for (const w of writes) this.set(w);
  }

  /** The conversation's handlings, or a refusal saying it is not in the log (and which are). */
  result(): PickedConversation {
    if (this.handlings.length === 0) {
      const dead =
        this.deadLettered > 0 ? ` (${this.deadLettered} of its deliveries were dead-lettered: none was handled to completion)` : '';
      throw new UsageError(
        `conversation ${this.conversation} is not in the log of ${this.agent}${dead}`,
        this.recent.length > 0
          ? `conversations of ${this.agent} in the log, most recent last: ${this.recent.join(', ')}`
          : `the log holds no handling of ${this.agent} with a conversation id`,
      );
    }
    return {
      agent: this.agent,
      conversation: this.conversation,
      handlings: this.handlings,
      deadLettered: this.deadLettered,
      interleaved: this.interleaved,
    };
  }

  private saw(conv: string): void {
    const at = this.recent.indexOf(conv);
    if (at >= 0) this.recent.splice(at, 1);
    this.recent.push(conv);
    if (this.recent.length > SHOWN_CONVERSATIONS) this.recent.shift();
  }

  private set(w: StateWrite): boolean {
    const before = this.state.get(w.key);
    if (w.value === null) this.state.delete(w.key);
    else this.state.set(w.key, w.value);
    return before !== (w.value ?? undefined);
  }

  /** Writes of other work: once the conversation began, a change there is remembered (a refusal if it goes on). */
  private applyOther(writes: readonly StateWrite[], reset: boolean, what: string): void {
    const own = ownStateWrites(writes);
    let changed = false;
    if (reset) {
      const next = new Map(own.filter((w) => w.value !== null).map((w) => [w.key, w.value!] as const));
      changed = next.size !== this.state.size || [...next].some(([k, v]) => this.state.get(k) !== v);
      this.state.clear();
      for (const [k, v] of next) this.state.set(k, v);
    } else {
      for (const w of own) if (this.set(w)) changed = true;
    }
    if (changed && this.handlings.length > 0) this.changedBy ??= what;
  }
}

/** What one handling did when the recorded version ran it again (test-from-log-rerun.ts). */
export interface RanAgain {
  completed: boolean;
  /** `ok`, `rejected: <reason>`, or the crash. */
  outcome: string;
  outbox: readonly AclMessage[];
  /** Its own state writes (reserved bookkeeping left out). */
  writes: readonly StateWrite[];
  clockReads: number;
  secureRandomBytes: number;
}

export interface FromLogInput {
  picked: PickedConversation;
  /** One per handling, in order. */
  ranAgain: readonly RanAgain[];
  /** The agent's identity where it was recorded (`name@platform`): whom a reply goes to is compared qualified. */
  identity: string;
  version: number;
  /** The deployment's config: the scenario's `config`. */
  config: Readonly<Record<string, string>>;
  /** The scenario file, as shown in the output. */
  file: string;
}

export interface FromLogResult {
  scenario: Scenario;
  /** The file's text. */
  text: string;
  /** What the scenario leaves out or does not reproduce, a line each (also summed up in its description). */
  leftOut: string[];
  expectations: number;
  stateKeys: number;
}

/** A message's fields a scenario step does not send (it sends a performative and a content). */
function unsentFields(m: AclMessage): string[] {
  const out: string[] = [];
  const add = (present: boolean, name: string): void => void (present && out.push(name));
  add(m.protocol !== undefined, 'protocol');
  add(m.language !== undefined, 'language');
  add(m.ontology !== undefined, 'ontology');
  add(m.encoding !== undefined, 'encoding');
  add(m.replyWith !== undefined, 'reply-with');
  add(m.inReplyTo !== undefined, 'in-reply-to');
  add(m.replyBy !== undefined, 'reply-by');
  add((m.replyTo?.length ?? 0) > 0, 'reply-to');
  const params = Object.keys(m.userParams ?? {}).filter((k) => k !== TRACEPARENT_PARAM && k !== TRACESTATE_PARAM);
  add(params.length > 0, 'user parameters');
  return out;
}

/** Whether a re-run's send is the one the log holds, as far as a scenario looks at messages. */
function sameSend(a: AclMessage, b: AclMessage, qualify: (name: string) => string): boolean {
  return (
    a.performative === b.performative &&
    (a.content ?? '') === (b.content ?? '') &&
    a.conversationId === b.conversationId &&
    a.receivers.length === b.receivers.length &&
    a.receivers.every((r, i) => qualify(r.name) === qualify(b.receivers[i]!.name))
  );
}

function sameWrites(a: readonly StateWrite[], b: readonly StateWrite[]): boolean {
  const last = (ws: readonly StateWrite[]): Map<string, string | null> => new Map(ws.map((w) => [w.key, w.value]));
  const x = last(a);
  const y = last(b);
  return x.size === y.size && [...x].every(([k, v]) => y.has(k) && y.get(k) === v);
}

/** A value on one line, `{ "k": v }` spaced as the scenario templates are written. */
function inline(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(inline).join(', ')}]`;
  if (typeof v === 'object' && v !== null)
    return `{ ${Object.entries(v)
      .map(([k, x]) => `${JSON.stringify(k)}: ${inline(x)}`)
      .join(', ')} }`;
  return JSON.stringify(v);
}

interface StepSource {
  send: { performative: string; content: string };
  expect: Record<string, string>[];
}

/** The file: a step to a line pair, so `file:line` in a report points at the step. */
function fileText(
  description: string,
  config: Readonly<Record<string, string>>,
  steps: StepSource[],
  state: Record<string, string | null> | undefined,
): string {
  const lines = ['{', `  "description": ${JSON.stringify(description)},`];
  if (Object.keys(config).length > 0) lines.push(`  "config": ${inline(config)},`);
  lines.push('  "steps": [');
  steps.forEach((s, i) => {
    const expect = s.expect.length === 1 ? s.expect[0] : s.expect;
    lines.push('    {', `      "send": ${inline(s.send)},`, `      "expect": ${inline(expect)}`, `    }${i < steps.length - 1 ? ',' : ''}`);
  });
  lines.push(state === undefined ? '  ]' : '  ],');
  if (state !== undefined) lines.push(`  "expect": { "state": ${inline(state)} }`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * The scenario that sends the conversation's messages again and expects what the recorded
 * version sent back (see the file comment for what the format cannot carry). Refused (a
 * UsageError with a hint) when the re-run did not do what the log recorded, when a handling that
 * wrote state has nothing to expect, or past the format's limits.
 */
export function scenarioFromLog(input: FromLogInput): FromLogResult {
  const { picked, ranAgain, identity } = input;
  const { agent, conversation } = picked;
  const at = identity.lastIndexOf('@');
  const platform = at < 0 ? undefined : identity.slice(at + 1);
  const qualify = (name: string): string => (platform === undefined || name.includes('@') ? name : `${name}@${platform}`);
  const replayHint = `caxton replay ${agent} --conversation ${conversation} --all shows what differs; a handling that does not run again as it ran cannot become a scenario`;
  if (ranAgain.length !== picked.handlings.length) throw new Error('scenarioFromLog: one re-run per handling');

  const steps: StepSource[] = [];
  const leftOut: string[] = [];
  const senders = new Set<string>();
  const unsent = new Set<string>();
  const others = new Map<string, number>();
  const contentUnchecked: number[] = [];
  const rejected: number[] = [];
  const skipped: number[] = [];
  let timers = 0;
  const state = new Map<string, string | null>();
  let expectations = 0;

  for (const h of picked.handlings) {
    const r = ranAgain[h.n - 1]!;
    const m = h.delivery.message;
    const what = `handling #${h.n} of conversation ${conversation} (${m.performative} at ${h.position})`;
    if (!r.completed) throw new UsageError(`${what} did not complete when the recorded version ran it again: ${r.outcome}`, replayHint);
    if (!sameWrites(h.writes, r.writes))
      throw new UsageError(`${what} wrote other state when the recorded version ran it again than the log recorded`, replayHint);
    h.sends.forEach((sent, k) => {
      const again = r.outbox[h.sendIndexes[k]!];
      if (again === undefined || !sameSend(sent, again, qualify))
        throw new UsageError(`${what} sent other messages when the recorded version ran it again than the log recorded`, replayHint);
    });
    for (const w of h.writes) state.set(w.key, w.value);
    timers += h.timersSet;
    for (const f of unsentFields(m)) unsent.add(f);
    const sender = m.sender?.name;
    if (sender !== undefined) senders.add(sender);
    if (r.outcome.startsWith('rejected')) rejected.push(h.n);
    const unchecked = r.clockReads > 0 || r.secureRandomBytes > 0;

    const expect: Record<string, string>[] = [];
    for (const out of r.outbox) {
      const toSender = sender !== undefined && out.receivers.some((x) => qualify(x.name) === qualify(sender));
      const isReply = toSender && out.conversationId === m.conversationId;
      for (const x of out.receivers) {
        if (isReply && qualify(x.name) === qualify(sender!)) continue;
        others.set(x.name, (others.get(x.name) ?? 0) + 1);
      }
      if (!isReply) continue;
      expect.push(unchecked ? { performative: out.performative } : { performative: out.performative, content: out.content ?? '' });
    }
    if (expect.length > MAX_EXPECTATIONS)
      throw new UsageError(
        `${what} sent ${expect.length} replies: a scenario step expects at most ${MAX_EXPECTATIONS}`,
        'a scenario is a test, not a load run: write this one by hand with contentIncludes',
      );
    if (expect.length === 0) {
      if (h.writes.length > 0)
        throw new UsageError(
          `${what} sent nothing a scenario can expect back (no reply to its sender), and wrote state: without it the steps after would run on other state`,
          'a scenario step must expect a message back (the format has no step that only sends); write this scenario by hand, e.g. with a query the agent answers after that message',
        );
      skipped.push(h.n);
      continue;
    }
    if (unchecked) contentUnchecked.push(h.n);
    expectations += expect.length;
    steps.push({ send: { performative: m.performative, content: m.content ?? '' }, expect });
  }

  if (steps.length === 0)
    throw new UsageError(
      `nothing conversation ${conversation} of ${agent} did can be expected in a scenario: no handling replied to its sender`,
      'a scenario step must expect a message back; the messages it sent to other agents show with caxton replay --all',
    );
  if (steps.length > MAX_STEPS)
    throw new UsageError(`conversation ${conversation} makes ${steps.length} steps, more than a scenario holds (${MAX_STEPS})`);

  const list = (ns: readonly number[]): string => ns.map((n) => `#${n}`).join(', ');
  if (skipped.length > 0) leftOut.push(`handlings ${list(skipped)}: nothing to expect back, no state written`);
  if (others.size > 0)
    leftOut.push(
      `sends to other agents (${[...others]
        .slice(0, 5)
        .map(([name, n]) => (n > 1 ? `${name} ×${n}` : name))
        .join(', ')}${others.size > 5 ? ', …' : ''}): a scenario from the log deploys none of them`,
    );
  if (rejected.length > 0)
    leftOut.push(`the node's failure replies to the rejected handlings ${list(rejected)} (they come from the platform)`);
  if (contentUnchecked.length > 0) leftOut.push(`reply content of ${list(contentUnchecked)}: they read the clock or secure randomness`);
  if (unsent.size > 0) leftOut.push(`the messages' ${[...unsent].join(', ')} (a step sends a performative and a content)`);
  if (timers > 0) leftOut.push(`${plural(timers, 'timer')} set: not fired (no step advances the clock)`);
  if (picked.deadLettered > 0) leftOut.push(`${plural(picked.deadLettered, 'dead-lettered delivery', 'dead-lettered deliveries')}`);
  if (picked.interleaved > 0)
    leftOut.push(
      `${plural(picked.interleaved, 'handling')} of other work between its handlings (they changed no state; an instance's memory of them is not reproduced)`,
    );
  const stateKeys = state.size <= MAX_EXPECTATIONS ? state.size : 0;
  if (state.size > MAX_EXPECTATIONS) leftOut.push(`its state (${state.size} keys; expect.state names at most ${MAX_EXPECTATIONS})`);

  const who = [...senders].slice(0, 3).join(', ') + (senders.size > 3 ? ', …' : '');
  let description =
    `conversation ${conversation} of ${agent} (version ${input.version}) from its log: ${plural(picked.handlings.length, 'handling')}, ` +
    `each step sent by the scenario${who ? ` in place of ${who}` : ''} in a conversation of its own` +
    (leftOut.length > 0 ? `; left out: ${leftOut.join('; ')}` : '');
  if (description.length > MAX_DESCRIPTION) description = `${description.slice(0, MAX_DESCRIPTION - 1)}…`;
  const text = fileText(description, input.config, steps, stateKeys > 0 ? Object.fromEntries(state) : undefined);
  if (Buffer.byteLength(text, 'utf8') > MAX_SCENARIO_BYTES)
    throw new UsageError(
      `the scenario of conversation ${conversation} would be larger than ${MAX_SCENARIO_BYTES} bytes (its messages are large)`,
      'a scenario file is read whole and bounded: write a shorter one by hand, checking with contentIncludes',
    );
  return { scenario: parseScenario(input.file, text), text, leftOut, expectations, stateKeys };
}
