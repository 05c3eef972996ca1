/**
 * `caxton dlq list|show|redrive|purge` (decision 1860): the node's dead letters — deliveries moved
 * aside after crashing their handler — why each one died, sending one or all of an agent's again
 * (optionally to another agent), and purging them. Redrive is idempotent: repeating it sends
 * nothing twice. Redrive and purge need the operator or admin role and are audited.
 */
import type { Argv, CommandModule } from 'yargs';
import type { DeadLetterSelection } from '@caxton/core';
import { action, type AppEnv } from '../action.js';
import { UsageError } from '../cli-error.js';
import type { GlobalArgs } from '../context.js';
import { formatDeadLetter, formatDeadLetterTable } from '../format/dead-letters.js';

type ListArgs = GlobalArgs & { agent?: string; all: boolean; limit: number };
type ShowArgs = GlobalArgs & { id: string };
type SelectArgs = GlobalArgs & { id?: string; agent?: string; all: boolean };
type RedriveArgs = SelectArgs & { to?: string };
type PurgeArgs = SelectArgs & { yes: boolean };

/** `<id>`, or `--agent a --all`; anything else is a usage error (pure; unit-tested). */
export function selectionOf(argv: { id?: string; agent?: string; all: boolean }, verb: string): DeadLetterSelection {
  if (argv.id !== undefined && argv.agent !== undefined) throw new UsageError(`give a dead letter id or --agent, not both`);
  if (argv.id !== undefined) return { ids: [argv.id] };
  if (argv.agent !== undefined && argv.all) return { agent: argv.agent };
  if (argv.agent !== undefined)
    throw new UsageError(`${verb} every letter of ${argv.agent}? say so with --all`, `caxton dlq ${verb} --agent ${argv.agent} --all`);
  throw new UsageError(
    `name the dead letter to ${verb}`,
    `caxton dlq ${verb} <id>, or --agent <name> --all; ids are in \`caxton dlq list\``,
  );
}

function selectOptions<T>(y: Argv<T>): Argv<T & { id: string | undefined; agent: string | undefined; all: boolean }> {
  return y
    .positional('id', { type: 'string', describe: 'The dead letter (its delivery id, from `caxton dlq list`)' })
    .option('agent', { type: 'string', describe: 'Every letter of this receiver (with --all)' })
    .option('all', { type: 'boolean', default: false, describe: 'With --agent: all of its letters' });
}

export function dlqCommand(env: AppEnv): CommandModule<GlobalArgs, GlobalArgs> {
  return {
    command: 'dlq <command>',
    describe: 'Dead letters: list, show, redrive or purge messages their agent could not handle',
    builder: (y) =>
      y
        .command(listCommand(env))
        .command(showCommand(env))
        .command(redriveCommand(env))
        .command(purgeCommand(env))
        .demandCommand(1, 'name a dlq command: list, show, redrive or purge'),
    handler: () => {},
  };
}

function listCommand(env: AppEnv): CommandModule<GlobalArgs, ListArgs> {
  return {
    command: 'list',
    describe: 'Dead letters, newest last: receiver, performative, attempts, time, state and why',
    builder: (y) =>
      y
        .option('agent', { type: 'string', describe: 'Only letters to this agent' })
        .option('all', { type: 'boolean', default: false, describe: 'Purged letters too' })
        .option('limit', { type: 'number', default: 100, describe: 'At most this many, the newest (at most 500)' })
        .example('$0 dlq list --agent billing', ''),
    handler: action<ListArgs>(env, async (ctx, argv) => {
      const letters = await (await ctx.client()).listDeadLetters({
        ...(argv.agent !== undefined ? { agent: argv.agent } : {}),
        includePurged: argv.all,
        limit: argv.limit,
      });
      if (ctx.args.json) ctx.printJson(letters);
      else ctx.print(formatDeadLetterTable(letters));
    }),
  };
}

function showCommand(env: AppEnv): CommandModule<GlobalArgs, ShowArgs> {
  return {
    command: 'show <id>',
    describe: 'One dead letter in full: its message, why it was dead-lettered, what became of it',
    builder: (y) => y.positional('id', { type: 'string', demandOption: true, describe: 'The dead letter id' }),
    handler: action<ShowArgs>(env, async (ctx, argv) => {
      const letter = await (await ctx.client()).getDeadLetter(argv.id);
      if (ctx.args.json) ctx.printJson(letter);
      else ctx.print(formatDeadLetter(letter));
    }),
  };
}

function redriveCommand(env: AppEnv): CommandModule<GlobalArgs, RedriveArgs> {
  return {
    command: 'redrive [id]',
    describe: 'Send dead letters again, to their receiver or --to another agent; repeating it sends nothing twice',
    builder: (y) =>
      selectOptions(y)
        .option('to', { type: 'string', describe: 'Send to this agent instead (e.g. a fixed version)' })
        .example('$0 dlq redrive "m-1>billing" --to billing-v2', '')
        .example(
          '$0 dlq redrive --agent billing --all',
          'every letter of billing not redriven yet (refused records, log.record-unauthenticated, only by id)',
        ),
    handler: action<RedriveArgs>(env, async (ctx, argv) => {
      const select = selectionOf(argv, 'redrive');
      const result = await (await ctx.client()).redriveDeadLetters(select, argv.to);
      if (ctx.args.json) ctx.printJson(result);
      else if (result.redriven.length === 0)
        ctx.print(
          'agent' in select
            ? 'nothing to redrive (a letter of a refused record, log.record-unauthenticated, is redriven only by its id)\n'
            : 'nothing to redrive\n',
        );
      else ctx.print(result.redriven.map((r) => `redriven ${r.id} → ${r.receiver} as ${r.deliveryId}\n`).join(''));
    }),
  };
}

function purgeCommand(env: AppEnv): CommandModule<GlobalArgs, PurgeArgs> {
  return {
    command: 'purge [id]',
    describe: 'Hide dead letters for good (they stay in the store, shown by `dlq list --all`, never redriven)',
    builder: (y) =>
      selectOptions(y)
        .option('yes', { type: 'boolean', default: false, describe: 'Required with --agent --all: confirms purging them all' })
        .example('$0 dlq purge "m-1>billing"', '')
        .example('$0 dlq purge --agent billing --all --yes', ''),
    handler: action<PurgeArgs>(env, async (ctx, argv) => {
      const select = selectionOf(argv, 'purge');
      if ('agent' in select && !argv.yes)
        throw new UsageError(
          `purging every dead letter of ${select.agent} needs --yes`,
          `caxton dlq list --agent ${select.agent} shows them first`,
        );
      const result = await (await ctx.client()).purgeDeadLetters(select);
      if (ctx.args.json) ctx.printJson(result);
      else ctx.print(result.purged.length === 0 ? 'nothing to purge\n' : result.purged.map((id) => `purged ${id}\n`).join(''));
    }),
  };
}
