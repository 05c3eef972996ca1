/**
 * What `caxton test` does once it runs (its flags are test.ts's): read and check every scenario
 * (a bad file fails the command before anything starts), build the project as `caxton build`
 * does and every other agent the scenarios deploy, check the names they use, start a node of its
 * own on a virtual clock, and run each scenario (test-scenario.ts). TAP (a line per step, as it
 * goes) or JUnit XML (a testcase per scenario, at the end) on stdout; exit 1 on any failure.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../cli-error.js';
import type { CommandContext, GlobalArgs } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { buildProject, displayPath, loadArtifact } from '../artifact-source.js';
import { startLocalNode } from '../local-node.js';
import { checkNames, MAX_SCENARIO_BYTES, parseScenario, scenarioTitle, type Scenario } from '../scenario/scenario.js';
import { tapBailOut, tapPlan, tapStep, tapSummary } from '../scenario/tap.js';
import { junitReport, type JUnitCase } from '../scenario/junit.js';
import type { Reporter } from '../scenario/reporters.js';
import { pointCount, runScenario, type Deployable, type ScenarioResult } from './test-scenario.js';

export type TestArgs = GlobalArgs & { dir: string; scenario?: string[]; name?: string; reporter: Reporter };

interface LoadedScenario {
  scenario: Scenario;
  /** Where its `agents[].path` are relative to. */
  dir: string;
}

async function scenarioFiles(ctx: CommandContext, dir: string, given: string[] | undefined): Promise<string[]> {
  if (given !== undefined && given.length > 0) return given.map((f) => path.resolve(ctx.io.cwd, f));
  const folder = path.join(dir, 'scenarios');
  const names = await readdir(folder).catch(() => [] as string[]);
  const files = names
    .filter((n) => n.endsWith('.json'))
    .sort()
    .map((n) => path.join(folder, n));
  if (files.length === 0)
    throw new UsageError(
      `no scenarios in ${displayPath(ctx.io.cwd, folder)}`,
      'add a scenarios/<name>.json (see docs/writing-agents.md, "Scenario tests"), or name files with --scenario',
    );
  return files;
}

async function loadScenario(ctx: CommandContext, file: string): Promise<LoadedScenario> {
  const shown = displayPath(ctx.io.cwd, file);
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) throw new UsageError(`scenario ${shown} does not exist`);
  if (info.size > MAX_SCENARIO_BYTES)
    throw new UsageError(`scenario ${shown} is larger than ${MAX_SCENARIO_BYTES} bytes`, 'a scenario is a list of messages; split it');
  return { scenario: parseScenario(shown, await readFile(file, 'utf8')), dir: path.dirname(file) };
}

/** Every other agent the scenarios deploy, built (or read) once per path; keyed by `<file>#<name>`. */
async function loadCompanions(ctx: CommandContext, loaded: readonly LoadedScenario[]): Promise<Map<string, Deployable>> {
  const byPath = new Map<string, Deployable>();
  const out = new Map<string, Deployable>();
  for (const { scenario, dir } of loaded) {
    for (const c of scenario.agents) {
      const where = path.resolve(dir, c.path);
      let artifact = byPath.get(where);
      if (artifact === undefined) {
        try {
          const a = await loadArtifact(ctx, where);
          artifact = { bytes: a.bytes, ...(a.language ? { language: a.language } : {}) };
        } catch (err) {
          if (err instanceof Error && err.message.includes('\n')) ctx.note(err.message); // a compiler's whole output
          throw new UsageError(
            `${scenario.file}:${c.line}: agent ${c.name} (${c.path}): ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
            'agents[].path is a project directory or a built .wasm, relative to the scenario file',
          );
        }
        byPath.set(where, artifact);
      }
      out.set(`${scenario.file}#${c.name}`, artifact);
    }
  }
  return out;
}

function junitCase(s: Scenario, agent: string, r: ScenarioResult): JUnitCase {
  const failed = r.points.filter((p) => p.problems.length > 0);
  return {
    name: scenarioTitle(s),
    classname: agent,
    timeMs: r.timeMs,
    failures: failed.map((p) => `${p.description}: ${p.problems.join('; ')}`),
    details: failed
      .map((p) =>
        [p.description, ...p.problems.map((x) => `  ${x}`), ...p.details.map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`)].join('\n'),
      )
      .join('\n\n'),
  };
}

export async function runTest(ctx: CommandContext, argv: TestArgs): Promise<number> {
  if (ctx.args.json)
    throw new UsageError(
      'caxton test prints TAP or JUnit XML, which CI systems read as they are; it has no --json form',
      'drop --json; --reporter junit gives XML',
    );
  const dir = path.resolve(ctx.io.cwd, argv.dir);
  if (!(await stat(dir).catch(() => undefined))?.isDirectory())
    throw new UsageError(`${argv.dir} is not a directory`, 'give the agent project directory (default: the current one)');
  const loaded: LoadedScenario[] = [];
  for (const file of await scenarioFiles(ctx, dir, argv.scenario)) loaded.push(await loadScenario(ctx, file));
  const scenarios = loaded.map((l) => l.scenario);
  const junit = argv.reporter === 'junit';
  const out = (text: string): void => void ctx.io.stdout.write(text);
  const suite = path.basename(dir);
  const startedAt = new Date(ctx.io.now()).toISOString().slice(0, 19);
  const plan = tapPlan(scenarios.reduce((n, s) => n + pointCount(s), 0));

  let built;
  try {
    built = await buildProject(ctx, dir);
  } catch (err) {
    const reason = `the build failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
    out(
      junit
        ? junitReport(
            suite,
            [
              {
                name: 'build',
                classname: suite,
                timeMs: 0,
                failures: [],
                error: `the build failed: ${err instanceof Error ? err.message : String(err)}`,
              },
            ],
            { timestamp: startedAt },
          )
        : `${plan}${tapBailOut(reason)}`,
    );
    ctx.note(err instanceof Error ? err.message : String(err));
    return EXIT.FAILURE;
  }
  const agent = argv.name ?? path.basename(built.artifactPath).replace(/\.wasm$/i, '');
  // Names and the other agents' builds are checked before the node starts: a typo is a refusal, not a failed run.
  for (const s of scenarios) checkNames(s, agent);
  const companions = await loadCompanions(ctx, loaded);
  // The plan once nothing can be refused any more: a refusal (exit 2) leaves stdout empty.
  if (!junit) out(plan);
  const artifact: Deployable = { bytes: await readFile(built.artifactPath), language: built.language };
  const node = await startLocalNode({ apiPort: 0, timeoutMs: ctx.facts.timeoutMs, prefix: 'caxton-test-', virtualClock: true });
  const advance = node.advance!;
  let n = 0;
  let failed = 0;
  const cases: JUnitCase[] = [];
  // Ctrl-C ends the run between steps and still stops the node and removes its data directory.
  let interrupted = false;
  const stopListening = ctx.io.onInterrupt(() => {
    interrupted = true;
  });
  try {
    for (const s of scenarios) {
      if (interrupted) break;
      const mine = new Map(s.agents.map((c) => [c.name, companions.get(`${s.file}#${c.name}`)!]));
      const result = await runScenario({ client: node.client, advance }, s, { name: agent, artifact }, mine, {
        timeoutMs: ctx.facts.timeoutMs,
        interrupted: () => interrupted,
        note: (line) => ctx.note(line),
      });
      for (const p of result.points) {
        if (p.problems.length > 0) failed++;
        n++;
        if (!junit) out(tapStep({ n, description: p.description, problems: p.problems, details: p.details }));
      }
      cases.push(junitCase(s, agent, result));
    }
  } finally {
    stopListening();
    await node.stop();
  }
  if (interrupted) {
    // The scenarios not run show as skipped, so the report says the run was cut short and where.
    const notRun = scenarios
      .slice(cases.length)
      .map((s): JUnitCase => ({ name: scenarioTitle(s), classname: agent, timeMs: 0, failures: [], skipped: 'interrupted' }));
    out(junit ? junitReport(suite, [...cases, ...notRun], { timestamp: startedAt }) : tapBailOut('interrupted'));
    return EXIT.INTERRUPTED;
  }
  out(junit ? junitReport(suite, cases, { timestamp: startedAt }) : tapSummary(n - failed, failed));
  return failed === 0 ? EXIT.OK : EXIT.FAILURE;
}
