/**
 * `caxton apply -f app.yaml`, `caxton diff -f app.yaml` and `caxton delete -f app.yaml` (decision
 * 2169): one file declares the agents and kinds a node or cluster runs. The file is checked whole
 * before anything is built or sent (a mistake is refused with its line and field); its components
 * are read (project directories built) with their signatures; the plan is computed against what the
 * node lists; `diff` prints it, `apply` carries it out step by step — each step the operator's own
 * command, audited as such — and stops at the first refusal, saying what was done. The apply
 * package (and its YAML parser) is loaded only when one of these commands runs.
 */
import { open } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { action, type AppEnv } from '../action.js';
import type { AppManifest, Step, StepOutcome } from '../apply/index.js';
import { loadArtifact } from '../artifact-source.js';
import { isOciReference } from '../oci/reference.js';
import type { CommandContext, GlobalArgs } from '../context.js';
import { UsageError } from '../cli-error.js';
import { EXIT } from '../exit-codes.js';
import { signatureToSend } from '../signing/signature-files.js';

type FileArgs = GlobalArgs & { file: string };
type ApplyArgs = FileArgs & { prune: boolean };

const applyLibrary = () => import('../apply/index.js');

/**
 * Reads and checks the file through one handle: a regular file (not a device or FIFO), bounded
 * before it is read, then refused whole with every problem's place.
 */
async function readManifest(ctx: CommandContext, file: string): Promise<AppManifest> {
  const { MANIFEST_LIMITS, ManifestError, parseAppManifest } = await applyLibrary();
  const full = path.resolve(ctx.io.cwd, file);
  const handle = await open(full, 'r').catch((err: unknown) => {
    throw new UsageError(`${file} cannot be read: ${(err as Error).message}`, 'give the application file: caxton apply -f app.yaml');
  });
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new UsageError(`${file} is not a regular file`, 'give the application file: caxton apply -f app.yaml');
    if (info.size > MANIFEST_LIMITS.maxBytes)
      throw new ManifestError(file, [
        { line: 1, column: 1, field: '(file)', message: `${info.size} bytes, more than ${MANIFEST_LIMITS.maxBytes}` },
      ]);
    const buffer = Buffer.alloc(MANIFEST_LIMITS.maxBytes + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return parseAppManifest(buffer.subarray(0, bytesRead).toString('utf8'), full, file);
  } finally {
    await handle.close();
  }
}

function fileOption<T>(y: Argv<T>) {
  return y.option('file', {
    alias: 'f',
    type: 'string',
    demandOption: true,
    describe: 'The application file (YAML or JSON; docs/apply.md, schema in docs/schemas/caxton-app.schema.json)',
  });
}

/** The plan of `apply` and `diff`: the file's components read (directories built) with their signatures, then compared with what runs. */
async function planOf(ctx: CommandContext, argv: FileArgs & { prune?: boolean }) {
  const { currentAgents, desiredAgents, planApply } = await applyLibrary();
  const manifest = await readManifest(ctx, argv.file);
  if (argv.prune === true && manifest.agents.length === 0)
    throw new UsageError(
      `${argv.file} names no agent: with --prune it would stop every agent this token can see`,
      'list the agents the node should run, or stop them one by one with caxton stop',
    );
  const { desired, components } = await desiredAgents(manifest, async (source) => {
    // Named relative to where caxton runs (what the operator typed is relative to that too); an
    // OCI reference is pulled and checked, its signature the one it carries (decision 2172).
    const a = await loadArtifact(ctx, isOciReference(source) ? source : path.relative(ctx.io.cwd, source) || source);
    const signature = a.path.startsWith('oci://') ? undefined : await signatureToSend(a.path, undefined);
    if (signature !== undefined) ctx.note(`signature: ${path.relative(ctx.io.cwd, signature.file) || signature.file}`);
    const envelope = a.signatureEnvelope ?? signature?.envelope;
    return {
      bytes: a.bytes,
      ...(a.language !== undefined ? { language: a.language } : {}),
      ...(envelope !== undefined ? { signatureEnvelope: envelope } : {}),
    };
  });
  const client = await ctx.client();
  const steps = planApply(desired, await currentAgents(client), { prune: argv.prune === true });
  return { desired, components, client, steps };
}

/** Exit code of a run whose steps all went through: a refused line means the file is not what runs. */
const settled = (steps: readonly Step[]): number => (steps.some((s) => s.op === 'refused') ? EXIT.CONFLICT : EXIT.OK);

/**
 * One id for one run's steps (decision 2169, issue 59): every call of the run carries it, so the
 * node's audit trail shows the steps as one change set (`caxton audit` prints `set=<id>`).
 */
function newChangeSet(verb: 'apply' | 'delete'): string {
  return `${verb}-${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}-${randomBytes(4).toString('hex')}`;
}

/** Prints what ran; a failed step's error is thrown on (its exit code and hint are the API's). */
function report(
  ctx: CommandContext,
  outcomes: readonly StepOutcome[],
  thrown: unknown,
  verb: 'applied' | 'deleted',
  changeSet: string,
): void {
  const failed = outcomes.find((o) => o.status === 'failed');
  const done = outcomes.filter((o) => o.status === 'done').length;
  if (ctx.args.json) ctx.printJson({ steps: outcomes, [verb]: done, changeSet, ...(failed ? { failed: failed.line } : {}) });
  else {
    for (const o of outcomes) ctx.print(`${o.status.padEnd(9)} ${o.line}${o.error ? `: ${o.error.message}` : ''}\n`);
    ctx.print(
      failed
        ? `stopped at: ${failed.line} (${done} step${done === 1 ? '' : 's'} done before it; run it again once fixed)\n`
        : `${verb}: ${done} change${done === 1 ? '' : 's'}\n`,
    );
    if (outcomes.some((o) => o.status === 'done' || o.status === 'failed')) ctx.print(`audited as change set ${changeSet}\n`);
  }
  if (failed && thrown !== undefined) throw thrown;
}

export function applyCommand(env: AppEnv): CommandModule<GlobalArgs, ApplyArgs> {
  return {
    command: 'apply',
    describe: 'Make the node (or cluster) run what an application file declares: deploy, upgrade, scale, and with --prune stop the rest',
    builder: (y) =>
      fileOption(y)
        .option('prune', {
          type: 'boolean',
          default: false,
          describe:
            'Also stop every agent and kind this token can see that the file does not name, including agents other operators deployed (docs/apply.md)',
        })
        .example('$0 apply -f app.yaml', 'deploy what is new, upgrade what changed, scale what is scaled differently')
        .example('$0 diff -f app.yaml', 'the same plan, nothing changed') as never,
    handler: action<ApplyArgs>(env, async (ctx, argv) => {
      const { runSteps } = await applyLibrary();
      const { desired, components, client: planned, steps } = await planOf(ctx, argv);
      const changeSet = newChangeSet('apply');
      const client = planned.withChangeSet(changeSet);
      const { outcomes, error } = await runSteps(
        {
          deploy: (h, bytes) => client.deploy(h, bytes),
          upgrade: (h, bytes) => client.upgrade(h, bytes),
          scale: (name, n) => client.scale(name, n),
          stop: (name) => client.stop(name),
        },
        steps,
        {
          desired: new Map(desired.map((d) => [d.name, d])),
          artifact: (name) => components.get(name)!,
          onStep: (line) => ctx.note(`apply: ${line}`),
        },
      );
      // A refused step: what ran is printed, then the API's own error (its hint, its exit code).
      report(ctx, outcomes, error, 'applied', changeSet);
      return settled(steps);
    }),
  };
}

export function diffCommand(env: AppEnv): CommandModule<GlobalArgs, ApplyArgs> {
  return {
    command: 'diff',
    describe: 'Show what `caxton apply -f` would change, changing nothing (project directories are built)',
    builder: (y) =>
      fileOption(y).option('prune', { type: 'boolean', default: false, describe: 'Include what --prune would stop' }) as never,
    handler: action<ApplyArgs>(env, async (ctx, argv) => {
      const { changes, formatStep } = await applyLibrary();
      const { steps } = await planOf(ctx, argv);
      const n = steps.filter(changes).length;
      if (ctx.args.json) ctx.printJson({ steps: steps.map((step) => ({ step, line: formatStep(step) })), changes: n });
      else ctx.print(`${steps.map((s) => `${formatStep(s)}\n`).join('')}${n === 0 ? 'no changes' : `${n} change${n === 1 ? '' : 's'}`}\n`);
      return settled(steps);
    }),
  };
}

export function deleteCommand(env: AppEnv): CommandModule<GlobalArgs, FileArgs> {
  return {
    command: 'delete',
    describe: 'Stop every agent and kind an application file names (its components are not read)',
    builder: (y) => fileOption(y) as never,
    handler: action<FileArgs>(env, async (ctx, argv) => {
      const { planDelete, runSteps } = await applyLibrary();
      const manifest = await readManifest(ctx, argv.file);
      const changeSet = newChangeSet('delete');
      const client = (await ctx.client()).withChangeSet(changeSet);
      const running = (await client.listAgents()).filter((a) => !a.name.includes('/'));
      // Only stop steps: nothing is uploaded, so no component is read.
      const { outcomes, error } = await runSteps(
        {
          deploy: (h, bytes) => client.deploy(h, bytes),
          upgrade: (h, bytes) => client.upgrade(h, bytes),
          scale: (name, n) => client.scale(name, n),
          stop: (name) => client.stop(name),
        },
        planDelete(manifest.agents, running),
        { desired: new Map(), artifact: () => ({ bytes: new Uint8Array() }), onStep: (line) => ctx.note(`delete: ${line}`) },
      );
      const thrown = error;
      report(ctx, outcomes, thrown, 'deleted', changeSet);
      return EXIT.OK;
    }),
  };
}
