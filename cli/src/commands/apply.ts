/**
 * `caxton apply -f app.yaml`, `caxton diff -f app.yaml` and `caxton delete -f app.yaml` (decision
 * 2169): one file declares the agents and kinds a node or cluster runs. The file is checked whole
 * before anything is built or sent (a mistake is refused with its line and field); its components
 * are read (project directories built); the plan is computed against what the node lists; `diff`
 * prints it, `apply` carries it out step by step — each step the operator's own command, audited
 * as such — and stops at the first refusal, saying what was done.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { action, type AppEnv } from '../action.js';
import {
  changes,
  currentAgents,
  desiredAgents,
  formatStep,
  MANIFEST_LIMITS,
  ManifestError,
  parseAppManifest,
  planApply,
  planDelete,
  runSteps,
  type AppManifest,
  type Step,
  type StepOutcome,
} from '../apply/index.js';
import { loadArtifact } from '../artifact-source.js';
import type { CommandContext, GlobalArgs } from '../context.js';
import { UsageError } from '../cli-error.js';
import { EXIT } from '../exit-codes.js';

type FileArgs = GlobalArgs & { file: string };
type ApplyArgs = FileArgs & { prune: boolean };

/** Reads and checks the file: bounded before it is read, refused whole with every problem's place. */
async function readManifest(ctx: CommandContext, file: string): Promise<AppManifest> {
  const full = path.resolve(ctx.io.cwd, file);
  let size: number;
  try {
    const info = await stat(full);
    if (!info.isFile()) throw new UsageError(`${file} is not a file`, 'give the application file: caxton apply -f app.yaml');
    size = info.size;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`${file} cannot be read: ${(err as Error).message}`, 'give the application file: caxton apply -f app.yaml');
  }
  if (size > MANIFEST_LIMITS.maxBytes)
    throw new ManifestError(file, [
      { line: 1, column: 1, field: '(file)', message: `${size} bytes, more than ${MANIFEST_LIMITS.maxBytes}` },
    ]);
  return parseAppManifest(await readFile(full, 'utf8'), full === file ? file : path.relative(ctx.io.cwd, full) || file);
}

function fileOption<T>(y: import('yargs').Argv<T>) {
  return y.option('file', {
    alias: 'f',
    type: 'string',
    demandOption: true,
    describe: 'The application file (YAML or JSON; docs/apply.md, schema in docs/schemas/caxton-app.schema.json)',
  });
}

/** The plan of `apply` and `diff`: the file's components read (directories built), then compared with what runs. */
async function planOf(ctx: CommandContext, argv: FileArgs & { prune?: boolean }) {
  const manifest = await readManifest(ctx, argv.file);
  const { desired, components } = await desiredAgents(manifest, async (source) => {
    const a = await loadArtifact(ctx, source);
    return { bytes: a.bytes, ...(a.language !== undefined ? { language: a.language } : {}) };
  });
  const client = await ctx.client();
  const steps = planApply(desired, await currentAgents(client), { prune: argv.prune === true });
  return { manifest, desired, components, client, steps };
}

function printPlan(ctx: CommandContext, steps: readonly Step[]): void {
  const n = steps.filter(changes).length;
  ctx.print(
    `${steps.map(formatStep).join('\n')}${steps.length > 0 ? '\n' : ''}${n === 0 ? 'no changes' : `${n} change${n === 1 ? '' : 's'}`}\n`,
  );
}

/** Prints what ran; a failed step's error is thrown on (its exit code and hint are the API's). */
function report(ctx: CommandContext, outcomes: readonly StepOutcome[], thrown: unknown): void {
  const failed = outcomes.find((o) => o.status === 'failed');
  if (ctx.args.json)
    ctx.printJson({
      steps: outcomes,
      applied: outcomes.filter((o) => o.status === 'done').length,
      ...(failed ? { failed: failed.line } : {}),
    });
  else {
    for (const o of outcomes) ctx.print(`${o.status.padEnd(9)} ${o.line}${o.error ? `: ${o.error.message}` : ''}\n`);
    const done = outcomes.filter((o) => o.status === 'done').length;
    ctx.print(
      failed
        ? `stopped at: ${failed.line} (${done} step${done === 1 ? '' : 's'} done before it; apply again once fixed)\n`
        : `applied: ${done} change${done === 1 ? '' : 's'}\n`,
    );
  }
  if (failed && thrown !== undefined) throw thrown;
}

export function applyCommand(env: AppEnv): CommandModule<GlobalArgs, ApplyArgs> {
  return {
    command: 'apply',
    describe: 'Make the node (or cluster) run what an application file declares: deploy, upgrade, scale, and with --prune stop the rest',
    builder: (y) =>
      fileOption(y)
        .option('prune', { type: 'boolean', default: false, describe: 'Also stop every agent and kind the file does not name' })
        .example('$0 apply -f app.yaml', 'deploy what is new, upgrade what changed, scale what is scaled differently')
        .example('$0 diff -f app.yaml', 'the same plan, nothing changed') as never,
    handler: action<ApplyArgs>(env, async (ctx, argv) => {
      const { desired, components, client, steps } = await planOf(ctx, argv);
      const desiredByName = new Map(desired.map((d) => [d.name, d]));
      const { outcomes, error } = await runSteps(
        {
          deploy: (h, bytes) => client.deploy(h, bytes),
          upgrade: (h, bytes) => client.upgrade(h, bytes),
          scale: (name, n) => client.scale(name, n),
          stop: (name) => client.stop(name),
        },
        steps,
        {
          desired: desiredByName,
          artifact: (name) => components.get(name)!,
          onStep: (line) => ctx.note(`apply: ${line}`),
        },
      );
      // A refused step: what ran is printed, then the API's own error (its hint, its exit code).
      const thrown = error;
      report(ctx, outcomes, thrown);
      return outcomes.some((o) => o.status === 'failed') ? EXIT.FAILURE : EXIT.OK;
    }),
  };
}

export function diffCommand(env: AppEnv): CommandModule<GlobalArgs, ApplyArgs> {
  return {
    command: 'diff',
    describe: 'Show what `caxton apply -f` would change, changing nothing',
    builder: (y) =>
      fileOption(y).option('prune', { type: 'boolean', default: false, describe: 'Include what --prune would stop' }) as never,
    handler: action<ApplyArgs>(env, async (ctx, argv) => {
      const { steps } = await planOf(ctx, argv);
      if (ctx.args.json) ctx.printJson({ steps: steps.map((s) => ({ ...s, line: formatStep(s) })), changes: steps.filter(changes).length });
      else printPlan(ctx, steps);
      return EXIT.OK;
    }),
  };
}

export function deleteCommand(env: AppEnv): CommandModule<GlobalArgs, FileArgs> {
  return {
    command: 'delete',
    describe: 'Stop every agent and kind an application file names (its components are not read)',
    builder: (y) => fileOption(y) as never,
    handler: action<FileArgs>(env, async (ctx, argv) => {
      const manifest = await readManifest(ctx, argv.file);
      const client = await ctx.client();
      const running = (await client.listAgents()).filter((a) => !a.name.includes('/'));
      const steps = planDelete(manifest.agents, running as never);
      let thrown: unknown;
      const outcomes: StepOutcome[] = [];
      for (const step of steps) {
        const line = formatStep(step);
        if (!changes(step) || thrown !== undefined) {
          outcomes.push({ step, line, status: thrown !== undefined && changes(step) ? 'not-run' : 'unchanged' });
          continue;
        }
        try {
          await client.stop(step.agent);
          outcomes.push({ step, line, status: 'done' });
        } catch (err) {
          thrown = err;
          outcomes.push({ step, line, status: 'failed', error: { message: (err as Error).message } });
        }
      }
      report(ctx, outcomes, thrown);
      return thrown === undefined ? EXIT.OK : EXIT.FAILURE;
    }),
  };
}
