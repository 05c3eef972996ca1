/**
 * `caxton state <agent> get <key> | list [--prefix p] | export | import <file>`: an agent's durable
 * state (decision 1600). Export and import use the same JSON-lines format, one
 * `{"key":…,"value":…}` per line (`"value": null` in an import deletes the key), so an export
 * can be edited and imported back. The agent need not be deployed: state outlives an undeploy.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import type { StateEntry, StateWrite } from '@caxton/core';
import { action, type AppEnv } from '../action.js';
import { CliError, UsageError } from '../cli-error.js';
import type { CommandContext, GlobalArgs } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { formatCount } from '../format/units.js';
import { ProgressBar } from '../progress.js';
import { follow } from './stream.js';

export const STATE_ACTIONS = ['get', 'list', 'export', 'import'] as const;
export type StateAction = (typeof STATE_ACTIONS)[number];

export type StateArgs = GlobalArgs & {
  agent: string;
  action: StateAction;
  arg?: string;
  prefix?: string;
  replace: boolean;
  quiet: boolean;
};

/** Longest value `list` shows in its table; the rest is cut with an ellipsis (`--json` shows all). */
const LIST_VALUE_WIDTH = 60;
const LIST_PAGE = 1000;

/**
 * Parse an import file: JSON lines of `{"key": string, "value": string | null}`; blank lines are
 * skipped. Errors name the line (pure; unit-tested).
 */
export function parseStateLines(text: string, file: string): StateWrite[] {
  const writes: StateWrite[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const where = `${file}:${i + 1}`;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (error) {
      throw new UsageError(
        `${where}: not JSON (${(error as Error).message})`,
        'each line is one {"key": "...", "value": "..."} object, as `caxton state <agent> export` writes',
      );
    }
    const entry = parsed as { key?: unknown; value?: unknown } | null;
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry))
      throw new UsageError(`${where}: expected an object with "key" and "value"`, 'e.g. {"key": "count", "value": "42"}');
    if (typeof entry.key !== 'string' || entry.key === '') throw new UsageError(`${where}: "key" must be a non-empty string`);
    if (!('value' in entry)) throw new UsageError(`${where}: "value" is missing`, 'give a string, or null to delete the key');
    if (entry.value !== null && typeof entry.value !== 'string') {
      throw new UsageError(
        `${where}: "value" of ${JSON.stringify(entry.key)} must be a string or null`,
        'state values are text: encode other data as JSON in a string',
      );
    }
    writes.push({ key: entry.key, value: entry.value });
  }
  return writes;
}

/** One table row of `list`: the key, then the value on one line, cut to a width. */
export function formatStateRow(entry: StateEntry, keyWidth: number): string {
  const flat = JSON.stringify(entry.value).slice(1, -1); // escapes newlines and control characters
  const value = flat.length > LIST_VALUE_WIDTH ? `${flat.slice(0, LIST_VALUE_WIDTH - 1)}…` : flat;
  return `${entry.key.padEnd(keyWidth)}  ${value}`;
}

export function stateCommand(env: AppEnv): CommandModule<GlobalArgs, StateArgs> {
  return {
    command: 'state <agent> <action> [arg]',
    describe: "Read, export or import an agent's durable state",
    builder: (y) =>
      y
        .positional('agent', { type: 'string', demandOption: true, describe: 'Name of the agent (need not be deployed)' })
        .positional('action', {
          type: 'string',
          choices: STATE_ACTIONS,
          demandOption: true,
          describe: 'get <key> | list | export | import <file>',
        })
        .positional('arg', { type: 'string', describe: 'The key (get) or the JSON-lines file (import)' })
        .option('prefix', { type: 'string', describe: 'list: only keys starting with this' })
        .option('replace', { type: 'boolean', default: false, describe: 'import: also delete every key the file does not name' })
        .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'No progress on stderr' })
        .example('$0 state counter get count', 'print one value')
        .example('$0 state counter list --prefix session/', 'keys and values, as a table')
        .example('$0 state counter export > counter.jsonl', 'back up (JSON lines)')
        .example('$0 state counter import counter.jsonl', 'restore; needs the admin token') as unknown as Argv<StateArgs>,
    handler: action<StateArgs>(env, async (ctx, argv) => {
      switch (argv.action) {
        case 'get':
          return get(ctx, argv);
        case 'list':
          return list(ctx, argv);
        case 'export':
          return exportState(ctx, argv);
        case 'import':
          return importState(ctx, argv);
      }
    }),
  };
}

async function get(ctx: CommandContext, argv: StateArgs): Promise<number> {
  if (argv.arg === undefined)
    throw new UsageError(
      '`state <agent> get` needs a key',
      `e.g. caxton state ${argv.agent} get count; list the keys with \`caxton state ${argv.agent} list\``,
    );
  const client = await ctx.client();
  const entry = await client.getState(argv.agent, argv.arg);
  if (ctx.args.json) ctx.printJson(entry);
  else ctx.print(`${entry.value}\n`);
  return EXIT.OK;
}

async function list(ctx: CommandContext, argv: StateArgs): Promise<number> {
  refuseArg(argv, 'list');
  const client = await ctx.client();
  const entries: StateEntry[] = [];
  let after: string | undefined;
  do {
    const page = await client.listState(argv.agent, {
      limit: LIST_PAGE,
      ...(argv.prefix !== undefined ? { prefix: argv.prefix } : {}),
      ...(after !== undefined ? { after } : {}),
    });
    if (ctx.args.json) for (const e of page.entries) ctx.printJsonLine(e);
    else entries.push(...page.entries);
    after = page.next;
  } while (after !== undefined);
  if (ctx.args.json) return EXIT.OK;
  if (entries.length === 0) {
    ctx.note(
      argv.prefix === undefined ? `${argv.agent} has no state` : `${argv.agent} has no keys starting with ${JSON.stringify(argv.prefix)}`,
    );
    return EXIT.OK;
  }
  const keyWidth = Math.min(40, Math.max(3, ...entries.map((e) => e.key.length)));
  ctx.print(`${'KEY'.padEnd(keyWidth)}  VALUE\n${entries.map((e) => formatStateRow(e, keyWidth)).join('\n')}\n`);
  return EXIT.OK;
}

async function exportState(ctx: CommandContext, argv: StateArgs): Promise<number> {
  refuseArg(argv, 'export');
  const client = await ctx.client();
  const counter = ProgressBar.enabled(ctx.io.stderr, argv.quiet) ? new CountLine(ctx, `exporting ${argv.agent}`) : undefined;
  let count = 0;
  try {
    // Always JSON lines (the import format), with or without --json.
    await follow<StateEntry>(
      ctx,
      (onValue) => client.exportState(argv.agent, onValue),
      (entry) => {
        ctx.io.stdout.write(`${JSON.stringify({ key: entry.key, value: entry.value })}\n`);
        counter?.update(++count);
      },
    );
  } finally {
    counter?.finish(count);
  }
  return EXIT.OK;
}

async function importState(ctx: CommandContext, argv: StateArgs): Promise<number> {
  if (argv.arg === undefined)
    throw new UsageError(
      '`state <agent> import` needs a file',
      `e.g. caxton state ${argv.agent} import ${argv.agent}.jsonl (JSON lines, as export writes)`,
    );
  const file = path.resolve(ctx.io.cwd, argv.arg);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(
      EXIT.NOT_FOUND,
      `cannot read ${argv.arg}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      'give the path of a JSON-lines file, as `caxton state <agent> export` writes',
    );
  }
  const writes = parseStateLines(text, argv.arg);
  const client = await ctx.client();
  const bar = ProgressBar.enabled(ctx.io.stderr, argv.quiet || ctx.args.json)
    ? new ProgressBar(ctx.io.stderr, `importing into ${argv.agent}`, Buffer.byteLength(text), ctx.io.now)
    : undefined;
  // The bar counts bytes of the file sent; the client reports entries, mapped back to bytes.
  const offsets = cumulativeBytes(writes);
  let result;
  try {
    result = await client.importState(argv.agent, writes, {
      replace: argv.replace,
      onProgress: (sent) => bar?.update(offsets[sent - 1] ?? 0),
    });
  } finally {
    bar?.finish();
  }
  if (ctx.args.json) ctx.printJson(result);
  else ctx.print(`imported into ${argv.agent}: ${formatCount(result.written)} keys set, ${formatCount(result.deleted)} deleted\n`);
  return EXIT.OK;
}

function refuseArg(argv: StateArgs, what: string): void {
  if (argv.arg !== undefined)
    throw new UsageError(
      `\`state <agent> ${what}\` takes no argument, got ${JSON.stringify(argv.arg)}`,
      what === 'list' ? 'filter with --prefix' : 'redirect stdout to a file: > state.jsonl',
    );
}

function cumulativeBytes(writes: readonly StateWrite[]): number[] {
  let total = 0;
  return writes.map((w) => (total += Buffer.byteLength(JSON.stringify(w)) + 1));
}

/** A running count on stderr (a terminal only), redrawn in place at most ten times a second. */
class CountLine {
  private last = Number.NEGATIVE_INFINITY;
  private drawn = false;

  constructor(
    private readonly ctx: CommandContext,
    private readonly label: string,
  ) {}

  update(count: number): void {
    const now = this.ctx.io.now();
    if (now - this.last < 100) return;
    this.last = now;
    this.drawn = true;
    this.ctx.io.stderr.write(`\r${this.label}: ${formatCount(count)} entries\x1b[K`);
  }

  finish(count: number): void {
    if (this.drawn) this.ctx.io.stderr.write(`\r${this.label}: ${formatCount(count)} entries\x1b[K\n`);
  }
}
