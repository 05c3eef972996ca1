/**
 * What `caxton test` does once it runs (its flags are test.ts's): read and check every scenario
 * (a bad file fails the command before anything starts), build the project as `caxton build`
 * does, start a node of its own, and for each scenario deploy the agent fresh (empty state, the
 * scenario's config), send each step's message in its own conversation, compare the agent's first
 * reply with what the step expects, and remove the agent again. TAP on stdout; exit 1 on any failure.
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { CaxtonClient } from '@caxton/client';
import type { MessageEvent } from '@caxton/core';
import { UsageError } from '../cli-error.js';
import type { CommandContext, GlobalArgs } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { buildProject, displayPath } from '../artifact-source.js';
import { startLocalNode } from '../local-node.js';
import { localName } from '../send/conversation-watch.js';
import { MAX_SCENARIO_BYTES, parseScenario, stepProblems, type Scenario, type ScenarioStep, type StepOutcome } from '../scenario/scenario.js';
import { tapBailOut, tapPlan, tapStep, tapSummary } from '../scenario/tap.js';

export type TestArgs = GlobalArgs & { dir: string; scenario?: string[]; name?: string };

async function scenarioFiles(ctx: CommandContext, dir: string, given: string[] | undefined): Promise<string[]> {
  if (given !== undefined && given.length > 0) return given.map((f) => path.resolve(ctx.io.cwd, f));
  const folder = path.join(dir, 'scenarios');
  const names = await readdir(folder).catch(() => [] as string[]);
  const files = names.filter((n) => n.endsWith('.json')).sort().map((n) => path.join(folder, n));
  if (files.length === 0) throw new UsageError(`no scenarios in ${displayPath(ctx.io.cwd, folder)}`, 'add a scenarios/<name>.json (see docs/writing-agents.md, "Scenario tests"), or name files with --scenario');
  return files;
}

async function loadScenario(ctx: CommandContext, file: string): Promise<Scenario> {
  const shown = displayPath(ctx.io.cwd, file);
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) throw new UsageError(`scenario ${shown} does not exist`);
  if (info.size > MAX_SCENARIO_BYTES) throw new UsageError(`scenario ${shown} is larger than ${MAX_SCENARIO_BYTES} bytes`, 'a scenario is a list of messages; split it');
  return parseScenario(shown, await readFile(file, 'utf8'));
}

/** Sends one step's message in a conversation of its own and waits for the agent's first reply. */
async function runStep(client: CaxtonClient, agent: string, step: ScenarioStep, timeoutMs: number): Promise<StepOutcome> {
  const conversationId = `test-${randomBytes(6).toString('hex')}`;
  let onReply: (e: MessageEvent) => void = () => undefined;
  const replied = new Promise<MessageEvent>((resolve) => (onReply = resolve));
  // Subscribed before the send (tail.ready), so the reply cannot slip past.
  const tail = client.tail({ conversationId }, (e) => {
    if (localName(e.message.sender?.name ?? '') === agent) onReply(e);
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await tail.ready;
    await client.send({ structured: { performative: step.send.performative, receivers: [{ name: agent }], content: step.send.content, conversationId } });
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    const first = await Promise.race([replied, timedOut]);
    if (first === 'timeout') return { noReply: { waitedMs: timeoutMs } };
    return { reply: { performative: first.message.performative, content: first.message.content ?? '' } };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
    tail.cancel();
  }
}

function stepText(s: Scenario, i: number, step: ScenarioStep): string {
  const title = s.description ? `${s.file} (${s.description})` : s.file;
  return `${title}: step ${i + 1}: ${step.send.performative} ${JSON.stringify(step.send.content)}`;
}

export async function runTest(ctx: CommandContext, argv: TestArgs): Promise<number> {
  if (ctx.args.json) throw new UsageError('caxton test prints TAP, which CI systems read as it is; it has no --json form', 'drop --json; a TAP-to-JSON or TAP-to-JUnit converter reads the output');
  const dir = path.resolve(ctx.io.cwd, argv.dir);
  if (!(await stat(dir).catch(() => undefined))?.isDirectory()) throw new UsageError(`${argv.dir} is not a directory`, 'give the agent project directory (default: the current one)');
  const scenarios: Scenario[] = [];
  for (const file of await scenarioFiles(ctx, dir, argv.scenario)) scenarios.push(await loadScenario(ctx, file));
  const out = (text: string): void => void ctx.io.stdout.write(text);
  out(tapPlan(scenarios.reduce((n, s) => n + s.steps.length, 0)));

  let built;
  try {
    built = await buildProject(ctx, dir);
  } catch (err) {
    out(tapBailOut(`the build failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`));
    ctx.note(err instanceof Error ? err.message : String(err));
    return EXIT.FAILURE;
  }
  const bytes = await readFile(built.artifactPath);
  const agent = argv.name ?? path.basename(built.artifactPath).replace(/\.wasm$/i, '');
  const node = await startLocalNode({ apiPort: 0, timeoutMs: ctx.facts.timeoutMs, prefix: 'caxton-test-' });
  const timeoutMs = ctx.facts.timeoutMs;
  let n = 0;
  let failed = 0;
  // Ctrl-C ends the run between steps and still stops the node and removes its data directory.
  let interrupted = false;
  const stopListening = ctx.io.onInterrupt(() => {
    interrupted = true;
  });
  try {
    for (const s of scenarios) {
      if (interrupted) break;
      let deployError: string | undefined;
      try {
        // A fresh deployment per scenario: no state or mailbox carried from the one before.
        await node.client.deploy({ name: agent, language: built.language, ...(Object.keys(s.config).length > 0 ? { config: s.config } : {}) }, bytes);
      } catch (err) {
        deployError = err instanceof Error ? err.message : String(err);
      }
      for (const [i, step] of s.steps.entries()) {
        if (interrupted) break;
        const outcome: StepOutcome = deployError !== undefined ? { error: `deploy refused: ${deployError}` } : await runStep(node.client, agent, step, timeoutMs);
        const problems = stepProblems(step.expect, outcome);
        if (problems.length > 0) failed++;
        out(tapStep({
          n: ++n, description: stepText(s, i, step), problems,
          details: [['expected', step.expect], ['actual', 'reply' in outcome ? outcome.reply : outcome]],
        }));
      }
      if (deployError === undefined) await node.client.stop(agent, true);
    }
  } finally {
    stopListening();
    await node.stop();
  }
  if (interrupted) {
    out(tapBailOut('interrupted'));
    return EXIT.INTERRUPTED;
  }
  out(tapSummary(n - failed, failed));
  return failed === 0 ? EXIT.OK : EXIT.FAILURE;
}
