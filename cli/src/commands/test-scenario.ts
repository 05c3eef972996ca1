/**
 * One scenario of `caxton test` against the node the command started (decision 2030): deploy the
 * scenario's other agents and then the agent under test fresh (empty state, its config), run each
 * step while watching every message the node accepts, read the agent's state for `expect.state`,
 * and undeploy them all again. Returns one result per step (and one for the state), for the
 * reporters; a failure of the node is a failed step, never an exception that ends the run.
 */
import { randomBytes } from 'node:crypto';
import type { CaxtonClient } from '@caxton/client';
import { isCaxtonError, type MessageEvent } from '@caxton/core';
import { localName } from '../send/conversation-watch.js';
import {
  addressing,
  assignMessages,
  MAX_SEEN_PER_STEP,
  scenarioTitle,
  stateProblems,
  stepProblems,
  type Addressing,
  type Scenario,
  type ScenarioStep,
  type SeenMessage,
} from '../scenario/scenario.js';

/** A built component ready to deploy. */
export interface Deployable {
  bytes: Uint8Array;
  language?: string;
}

/** What `caxton test` needs of its node: the API and the virtual clock. */
export interface ScenarioNode {
  client: CaxtonClient;
  /**
   * Moves the node's virtual clock `ms` forward, through the due times of the timers waiting on the
   * way in due order (a periodic timer fires once per period); resolves once the timers due at each
   * of them were handled. Rejects (a CaxtonError) when the timers would not stop firing.
   */
  advance(ms: number): Promise<void>;
}

export interface PointResult {
  description: string;
  /** Empty: passed. */
  problems: string[];
  details: Array<[string, unknown]>;
}

export interface ScenarioResult {
  points: PointResult[];
  timeMs: number;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0]! : String(err);
}

function seenOf(e: MessageEvent): SeenMessage {
  return {
    from: localName(e.message.sender?.name ?? ''),
    to: e.message.receivers.map((r) => localName(r.name)),
    conversationId: e.message.conversationId ?? '',
    performative: e.message.performative,
    content: e.message.content ?? '',
  };
}

function stepTitle(s: Scenario, i: number, step: ScenarioStep): string {
  const title = scenarioTitle(s);
  const what =
    step.kind === 'send'
      ? `${step.send.performative} ${JSON.stringify(step.send.content)}${step.send.to ? ` to ${step.send.to}` : ''}`
      : `advance ${step.advance.text}`;
  return `${title}: step ${i + 1}: ${what}`;
}

/** Runs one step: watch, act, then wait until every expectation found its message or time is up. */
async function runStep(
  node: ScenarioNode,
  agent: string,
  step: ScenarioStep,
  timeoutMs: number,
): Promise<{ problems: string[]; actual: unknown[] }> {
  const seen: SeenMessage[] = [];
  const ids: string[] = [];
  let overflow = false;
  let wake: () => void = () => undefined;
  const tail = node.client.tail({}, (e) => {
    // An agent sending in a loop must not grow this without end: past the bound, nothing more is kept.
    if (seen.length >= MAX_SEEN_PER_STEP) {
      overflow = true;
      return;
    }
    ids.push(e.messageId);
    seen.push(seenOf(e));
    wake();
  });
  const conversationId = `test-${randomBytes(6).toString('hex')}`;
  let sentId: string | undefined;
  const deadline = Date.now() + timeoutMs;
  try {
    // Subscribed before acting (tail.ready), so nothing the step causes can slip past.
    await tail.ready;
    if (step.kind === 'send') {
      const to = step.send.to ?? agent;
      const res = await node.client.send({
        structured: { performative: step.send.performative, receivers: [{ name: to }], content: step.send.content, conversationId },
      });
      if (res.refused.length > 0)
        return { problems: [`the send was refused: ${res.refused.map((r) => `${r.receiver}: ${r.reason}`).join(', ')}`], actual: [] };
      sentId = res.messageId;
    } else {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), timeoutMs)));
      const moved = await Promise.race([
        node.advance(step.advance.ms).then(
          () => 'done' as const,
          (err: unknown) => err as Error,
        ),
        late,
      ]).finally(() => clearTimeout(timer));
      if (moved instanceof Error)
        return {
          problems: [`advance ${step.advance.text} failed: ${isCaxtonError(moved) ? moved.describe() : moved.message}`],
          actual: [],
        };
      if (moved === 'late')
        return { problems: [`the timers due after advance ${step.advance.text} were not handled within ${timeoutMs} ms`], actual: [] };
    }
    // Who "the scenario" is on the node: the sender the node gave the message just sent.
    const tester = (): string | undefined => (sentId === undefined ? '' : seen[ids.indexOf(sentId)]?.from);
    const wanted = (t: string): Addressing[] => step.expect.map((e) => addressing(step, e, agent, t, conversationId));
    for (;;) {
      const t = tester();
      if (t !== undefined && assignMessages(seen, wanted(t)).every((m) => m !== undefined)) break;
      const left = deadline - Date.now();
      if (left <= 0) break;
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
    }
    const problems: string[] = [];
    const actual: unknown[] = [];
    const t = tester() ?? '';
    const addressed = wanted(t);
    const assigned = assignMessages(seen, addressed);
    for (const [i, a] of addressed.entries()) {
      const found = assigned[i];
      const who = { from: a.from, ...(a.to === undefined ? {} : { to: a.to === t && t !== '' ? '(the scenario)' : a.to }) };
      const outcome = found
        ? { reply: { performative: found.performative, content: found.content } }
        : { noReply: { waitedMs: timeoutMs, ...who } };
      const mine = stepProblems(step.expect[i]!, outcome);
      problems.push(...mine.map((p) => (step.expect.length > 1 ? `expect[${i + 1}] ${p}` : p)));
      actual.push(found ? { performative: found.performative, content: found.content } : null);
    }
    if (overflow && problems.length > 0)
      problems.push(`more than ${MAX_SEEN_PER_STEP} messages during the step: only the first ${MAX_SEEN_PER_STEP} were looked at`);
    return { problems, actual };
  } catch (err) {
    return { problems: [`the step failed: ${errorText(err)}`], actual: [] };
  } finally {
    tail.cancel();
  }
}

async function readState(client: CaxtonClient, agent: string): Promise<Map<string, string>> {
  const state = new Map<string, string>();
  let after: string | undefined;
  do {
    const page = await client.listState(agent, after === undefined ? {} : { after });
    for (const e of page.entries) state.set(e.key, e.value);
    after = page.next;
  } while (after !== undefined);
  return state;
}

export async function runScenario(
  node: ScenarioNode,
  s: Scenario,
  agent: { name: string; artifact: Deployable },
  companions: ReadonlyMap<string, Deployable>,
  opts: { timeoutMs: number; interrupted: () => boolean; note: (line: string) => void },
): Promise<ScenarioResult> {
  const { timeoutMs, interrupted } = opts;
  const started = Date.now();
  const points: PointResult[] = [];
  const deployed: string[] = [];
  let deployError: string | undefined;
  try {
    // Its company first, so the agent's init may already address them; all fresh (empty state).
    for (const c of s.agents) {
      const artifact = companions.get(c.name)!;
      await node.client.deploy(
        {
          name: c.name,
          ...(artifact.language ? { language: artifact.language } : {}),
          ...(Object.keys(c.config).length > 0 ? { config: c.config } : {}),
        },
        artifact.bytes,
      );
      deployed.push(c.name);
    }
    await node.client.deploy(
      {
        name: agent.name,
        ...(agent.artifact.language ? { language: agent.artifact.language } : {}),
        ...(Object.keys(s.config).length > 0 ? { config: s.config } : {}),
      },
      agent.artifact.bytes,
    );
    deployed.push(agent.name);
  } catch (err) {
    deployError = `deploy refused: ${errorText(err)}`;
  }
  try {
    for (const [i, step] of s.steps.entries()) {
      if (interrupted()) break;
      const { problems, actual } =
        deployError !== undefined ? { problems: [deployError], actual: [] } : await runStep(node, agent.name, step, timeoutMs);
      points.push({
        description: stepTitle(s, i, step),
        problems,
        details: [
          ['at', `${s.file}:${step.line}`],
          ['expected', step.expect.map(({ line: _line, ...e }) => e)],
          ['actual', actual],
        ],
      });
    }
    if (s.state && !interrupted()) {
      let problems: string[];
      let actual: Record<string, string | null> = {};
      if (deployError !== undefined) problems = [deployError];
      else {
        try {
          const state = await readState(node.client, agent.name);
          problems = stateProblems(s.state.entries, state);
          actual = Object.fromEntries(Object.keys(s.state.entries).map((k) => [k, state.get(k) ?? null]));
        } catch (err) {
          problems = [`reading the state failed: ${errorText(err)}`];
        }
      }
      points.push({
        description: `${scenarioTitle(s)}: expect.state`,
        problems,
        details: [
          ['at', `${s.file}:${s.state.line}`],
          ['expected', s.state.entries],
          ['actual', actual],
        ],
      });
    }
  } finally {
    for (const name of deployed.reverse()) {
      // The next scenario deploys it fresh again; a stop that failed is said, and that deploy will show it.
      await node.client.stop(name, true).catch((err: unknown) => opts.note(`${s.file}: undeploying ${name} failed: ${errorText(err)}`));
    }
  }
  return { points, timeMs: Date.now() - started };
}

/** How many report points a scenario gives: one per step, one for `expect.state`. */
export function pointCount(s: Scenario): number {
  return s.steps.length + (s.state ? 1 : 0);
}
