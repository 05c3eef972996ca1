/**
 * `caxton test --from-log <conversation> --agent <name>` (issue 57, "Scenarios from real
 * traffic"): instead of running scenarios, write one that replays a conversation the agent really
 * had. The history comes as `caxton replay` reads it (replay-source.ts: the node's data directory,
 * read-only, or an export file with `--input`); the conversation is picked out and made into a
 * scenario by scenario/from-log.ts, with the replies the log could not hold recomputed by the
 * recorded version (test-from-log-rerun.ts). The file is checked by the scenario parser before it
 * is written, and an existing one is not replaced without `--force`.
 */
import { lstat, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { displayPath } from '../artifact-source.js';
import { UsageError } from '../cli-error.js';
import type { CommandContext, GlobalArgs } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { ConversationPicker, scenarioFromLog, type PickedConversation } from '../scenario/from-log.js';
import { dataDirSource, exportSource } from './replay-source.js';
import { runAgain } from './test-from-log-rerun.js';

/** The flags of this mode, beside `caxton test`'s own. */
export interface FromLogFlags {
  fromLog?: string;
  agent?: string;
  input?: string;
  out?: string;
  force: boolean;
}

export type FromLogArgs = GlobalArgs & FromLogFlags & { fromLog: string; dir: string; scenario?: string[]; name?: string };

/** The scenario file's name when `--out` is not given: the conversation id, made a file name. */
export function defaultScenarioFile(conversation: string): string {
  const safe = conversation
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[-.]+|-+$/g, '')
    .slice(0, 80);
  return `from-log-${safe || 'conversation'}.json`;
}

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function checkFlags(argv: FromLogArgs): { agent: string; conversation: string } {
  const conversation = argv.fromLog.trim();
  if (conversation === '')
    throw new UsageError('--from-log needs a conversation id', 'caxton replay <agent> --all shows the conversations of each handling');
  if (argv.agent === undefined || argv.agent.trim() === '')
    throw new UsageError(
      '--from-log needs --agent <name>: the agent whose log holds the conversation',
      'e.g. caxton test --from-log <conversation> --agent counter --data-dir ./data',
    );
  if (argv.scenario !== undefined && argv.scenario.length > 0)
    throw new UsageError(
      '--from-log writes a scenario; --scenario runs them',
      'write it first, then run it: caxton test <dir> --scenario <file>',
    );
  if (argv.name !== undefined)
    throw new UsageError('--name goes with running scenarios, not --from-log', 'the agent whose log is read is --agent');
  for (const flag of ['input', 'out'] as const)
    if (argv[flag] !== undefined && argv[flag].trim() === '') throw new UsageError(`--${flag} needs a file name`);
  return { agent: argv.agent, conversation };
}

export async function runFromLog(ctx: CommandContext, argv: FromLogArgs): Promise<number> {
  const { agent, conversation } = checkFlags(argv);
  const file = path.resolve(ctx.io.cwd, argv.out ?? path.join(argv.dir, 'scenarios', defaultScenarioFile(conversation)));
  const shown = displayPath(ctx.io.cwd, file);
  // Said before the log is read, which may take a while.
  if (!argv.force && (await stat(file).catch(() => undefined)) !== undefined)
    throw new UsageError(`${shown} exists`, 'give --force to replace it, or --out another file');

  const lib: typeof import('@caxton/runtime/replay') = await import('@caxton/runtime/replay');
  const source =
    argv.input === undefined
      ? await dataDirSource(ctx, lib, { agent, dataDir: argv.dataDir })
      : await exportSource(ctx, lib, agent, argv.input);
  let picked: PickedConversation;
  let component: Uint8Array;
  try {
    const picker = new ConversationPicker(agent, conversation);
    for await (const e of source.events) picker.add(e);
    picked = picker.result();
    component = await source.component();
  } finally {
    await source.close();
  }
  const incomplete = source.incomplete();
  if (incomplete !== undefined) ctx.note(`caxton test --from-log: ${incomplete}`);

  const ranAgain = await runAgain(lib, source, component, picked);
  const { deployment } = source;
  const made = scenarioFromLog({
    picked,
    ranAgain,
    identity: source.identity,
    version: deployment.version,
    config: deployment.config ?? {},
    file: shown,
  });
  await mkdir(path.dirname(file), { recursive: true });
  const exists = await lstat(file).then(
    () => true,
    () => false,
  );
  if (exists && !argv.force) throw new UsageError(`${shown} exists`, 'give --force to replace it, or --out another file');
  // Whole or not at all, and a symlink at the name is replaced, never written through.
  const temporary = `${file}.tmp-${process.pid}-${Date.now().toString(36)}`;
  try {
    await writeFile(temporary, made.text, { flag: 'wx' });
    await rename(temporary, file);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }

  const steps = made.scenario.steps.length;
  const summary = {
    file: shown,
    agent,
    conversation,
    version: deployment.version,
    handlings: picked.handlings.length,
    steps,
    expectations: made.expectations,
    stateKeys: made.stateKeys,
    leftOut: made.leftOut,
  };
  if (ctx.args.json) ctx.printJson({ type: 'scenario', ...summary });
  else {
    ctx.print(
      `wrote ${shown}: ${count(steps, 'step')} (${count(made.expectations, 'expected reply', 'expected replies')}${made.stateKeys > 0 ? `, ${count(made.stateKeys, 'state key')}` : ''}) from ${count(picked.handlings.length, 'handling')} of conversation ${conversation} of ${agent} (version ${deployment.version})\n`,
    );
    for (const line of made.leftOut) ctx.print(`  left out: ${line}\n`);
    ctx.print(`run it: caxton test ${argv.dir} --scenario ${shown}\n`);
  }
  return EXIT.OK;
}
