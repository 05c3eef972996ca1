/**
 * `caxton replay <agent>` (issue 57): runs an agent again on the handlings its node's log recorded,
 * beside the node, reading its data directory only (the registry, the artifact store, the embedded
 * log): nothing is sent, no HTTP call leaves, nothing is written there. By default the recorded
 * version runs and any difference is a determinism bug; with `--with` another version runs and the
 * differences are what it would have done otherwise. Exit 0 when nothing differs, 1 when something
 * did. `--json`: one line per handling reported, then the summary.
 *
 * `--export <file>` writes the history into an export file instead (replay-export.ts); `--input
 * <file>` replays such a file instead of a data directory — anywhere, without the node. An export
 * is only known whole at its end: a truncated or damaged one fails the command there, after the
 * reports of the handlings before (replay.export-truncated / replay.export-corrupt).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { localAction, type AppEnv } from '../action.js';
import { loadArtifact } from '../artifact-source.js';
import { UsageError } from '../cli-error.js';
import type { CommandContext, GlobalArgs } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { exportHistory } from './replay-export.js';
import { clusterSource, dataDirSource, exportSource, namesCluster, type ClusterArgs, type HistorySource } from './replay-source.js';
import { clusterSecurityFlags } from './serve-cluster-security-options.js';

type Args = GlobalArgs &
  ClusterArgs & {
    agent: string;
    with?: string;
    from?: string;
    until?: string;
    conversation?: string;
    message?: string;
    all: boolean;
    trace: boolean;
    export?: string;
    input?: string;
    force: boolean;
  };

type ReplayLibrary = typeof import('@caxton/runtime/replay');
type HandlingReport = import('@caxton/runtime/replay').HandlingReport;
type RecordedHandling = import('@caxton/runtime/replay').RecordedHandling;

const FILTERS = ['with', 'from', 'until', 'conversation', 'message'] as const;

/** The flags that choose the mode (replay a data dir, replay an export, write an export) agree. */
export function checkMode(argv: Pick<Args, (typeof FILTERS)[number] | 'all' | 'export' | 'input' | 'force'> & { trace?: boolean }): void {
  for (const flag of ['export', 'input'] as const)
    if (argv[flag] !== undefined && argv[flag].trim() === '') throw new UsageError(`--${flag} needs a file name`);
  if (argv.export !== undefined && argv.input !== undefined)
    throw new UsageError(
      'give --export or --input, not both',
      "--export writes a data directory's history to a file; --input replays such a file",
    );
  if (argv.export === undefined) {
    if (argv.force) throw new UsageError('--force only goes with --export (it replaces an existing export file)');
    return;
  }
  const given = [...FILTERS.filter((f) => argv[f] !== undefined), ...(argv.all ? ['all'] : []), ...(argv.trace === true ? ['trace'] : [])];
  if (given.length > 0)
    throw new UsageError(
      `--export writes the whole history: --${given[0]} applies when it is replayed`,
      `export first, then: caxton replay <agent> --input <file> --${given[0]} …`,
    );
}

/** A time bound: ms since epoch, or anything Date.parse reads (ISO 8601). */
export function parseTimeBound(flag: string, text: string): number {
  const ms = /^\d{1,16}$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(ms))
    throw new UsageError(
      `--${flag} ${JSON.stringify(text)} is not a time`,
      'give an ISO 8601 time (2026-11-28T03:12:00Z) or ms since epoch',
    );
  return ms;
}

/** Which recorded handlings the flags select (the others still move the state on). */
export function selection(argv: Pick<Args, 'from' | 'until' | 'conversation' | 'message'>): ((h: RecordedHandling) => boolean) | undefined {
  const from = argv.from === undefined ? undefined : parseTimeBound('from', argv.from);
  const until = argv.until === undefined ? undefined : parseTimeBound('until', argv.until);
  const { conversation, message } = argv;
  if (from === undefined && until === undefined && conversation === undefined && message === undefined) return undefined;
  return (h) => {
    const w = h.work;
    const at = w.kind === 'message' ? w.delivery.acceptedAt : w.dueAt;
    if (from !== undefined && (at === undefined || at < from)) return false;
    if (until !== undefined && (at === undefined || at > until)) return false;
    if (conversation !== undefined && (w.kind !== 'message' || w.delivery.message.conversationId !== conversation)) return false;
    if (message !== undefined && (w.kind !== 'message' || w.delivery.messageId !== message)) return false;
    return true;
  };
}

function describeWork(r: HandlingReport): string {
  const w = r.work;
  if (w.kind === 'timer') return `timer ${w.token} (${w.id})`;
  const conv = w.conversationId === undefined ? '' : `, conversation ${w.conversationId}`;
  return `${w.performative} ${w.messageId} from ${w.sender ?? '?'}${conv} at ${new Date(w.at).toISOString()}`;
}

function printReport(ctx: CommandContext, r: HandlingReport): void {
  const verdict = r.differences.length === 0 ? 'same' : `DIFFERS (${r.differences.map((d) => d.what).join(', ')})`;
  ctx.print(`#${r.index} ${describeWork(r)}: ${r.outcome}, ${r.fuelUsed} fuel — ${verdict}\n`);
  for (const d of r.differences) {
    ctx.print(`    ${d.what}: recorded ${JSON.stringify(d.recorded)}\n`);
    ctx.print(`    ${' '.repeat(d.what.length)}  replayed ${JSON.stringify(d.replayed)}\n`);
  }
  if (r.differences.length > 0 && r.secureRandomBytes > 0)
    ctx.print(`    (it read ${r.secureRandomBytes} bytes of secure randomness, which no replay reproduces)\n`);
  if (r.differences.length > 0 && r.clockReads > 0)
    ctx.print(
      r.clockRecorded
        ? `    (it read the clock ${r.clockReads} times: its first read replayed the recorded time, a later one may have moved on differently)\n`
        : `    (it read the clock ${r.clockReads} times: the log did not record the time it saw; the replay gave it its work's time)\n`,
    );
  if (r.differences.length > 0 && r.beforeVersion === true)
    ctx.print('    (recorded before this version was deployed: another version handled it)\n');
  if (r.step !== undefined) printStep(ctx, r.step);
}

/** `--trace`: the handling as a step — its input, the state before, what it did. */
function printStep(ctx: CommandContext, s: NonNullable<HandlingReport['step']>): void {
  const input =
    'timer' in s.input
      ? `timer ${JSON.stringify(s.input.timer)}`
      : `${s.input.performative} from ${s.input.sender ?? '?'}: ${JSON.stringify(s.input.content ?? '')}`;
  ctx.print(`    in     ${input}\n`);
  for (const [key, before] of Object.entries(s.stateBefore)) {
    const written = Object.hasOwn(s.recordedWrites, key) ? JSON.stringify(s.recordedWrites[key]) : '(not written in the record)';
    ctx.print(`    state  ${JSON.stringify(key)}: ${JSON.stringify(before)} -> ${written}\n`);
  }
  for (const m of s.sent) ctx.print(`    sent   ${m.performative} to ${m.receivers.join(', ')}: ${JSON.stringify(m.content ?? '')}\n`);
  for (const t of s.timers) ctx.print(`    timer  ${JSON.stringify(t.token)} in ${t.delayMs} ms\n`);
  for (const c of s.http) ctx.print(`    http   ${c.method} ${c.url}\n`);
  for (const l of s.logs) ctx.print(`    log    ${l}\n`);
}

/** Where the history is kept live: a cluster when --kafka/--etcd name one, else the data directory. */
function liveSource(ctx: CommandContext, lib: ReplayLibrary, argv: Args): Promise<HistorySource> {
  return namesCluster(argv) ? clusterSource(ctx, lib, argv) : dataDirSource(ctx, lib, argv);
}

export function replayCommand(env: AppEnv): CommandModule<GlobalArgs, Args> {
  return {
    command: 'replay <agent>',
    describe:
      "Run an agent again on its recorded traffic (the node's data dir, a cluster's topics, or an export file), offline, and show what differs",
    builder: (y) =>
      clusterSecurityFlags(y)
        .positional('agent', { type: 'string', demandOption: true, describe: 'The agent (or kind instance <kind>/<key>) to replay' })
        .option('with', { type: 'string', describe: 'Run this version instead (a .wasm component or a project directory)' })
        .option('from', { type: 'string', describe: 'Only handlings of work from this time (ISO 8601 or ms)' })
        .option('until', { type: 'string', describe: 'Only handlings of work up to this time' })
        .option('conversation', { type: 'string', describe: 'Only the handlings of this conversation' })
        .option('message', { type: 'string', describe: 'Only the handling of this message id' })
        .option('all', { type: 'boolean', default: false, describe: 'Print every handling, not only those that differ' })
        .option('trace', {
          type: 'boolean',
          default: false,
          describe:
            'Print each handling reported as a step: what it was handed, the state before, what it sent, set and wrote (implies --all)',
        })
        .option('export', {
          type: 'string',
          describe: "Write the agent's whole recorded history, deployment and component to this file instead of replaying",
        })
        .option('force', { type: 'boolean', default: false, describe: 'With --export: replace an existing file' })
        .option('input', { type: 'string', describe: 'Replay an export file (written by --export) instead of the data dir' })
        .option('kafka', {
          type: 'string',
          describe: "A cluster's Kafka brokers (host:port,…): read its history there instead of a data dir",
        })
        .option('etcd', {
          type: 'string',
          describe: "The cluster's etcd endpoints (host:port,…), for the agent's deployment and component",
        })
        .option('cluster', { type: 'string', describe: 'The cluster name its nodes run with (--cluster of serve); default "default"' })
        .example(
          '$0 replay counter --data-dir ./data',
          'the recorded version on everything the log holds: any difference is a determinism bug',
        )
        .example('$0 replay counter --with ./counter-v2 --from 2026-11-28T03:00:00Z', 'what version 2 would have done since 03:00')
        .example('$0 replay counter --data-dir ./data --export counter.caxton-replay', 'the history as a file, to replay off the node')
        .example('$0 replay counter --input counter.caxton-replay --with ./counter-v2', 'replay it anywhere')
        .example(
          '$0 replay counter --kafka k1:9092 --etcd e1:2379',
          "a cluster's agent, from its Kafka topics (read only)",
        ) as unknown as Argv<Args>,
    handler: localAction<Args>(env, async (ctx, argv) => {
      checkMode(argv);
      const select = selection(argv);
      const lib: ReplayLibrary = await import('@caxton/runtime/replay');
      if (argv.input !== undefined && namesCluster(argv))
        throw new UsageError('give --input or --kafka/--etcd, not both', 'an export file holds its history: it needs no cluster');
      if (argv.export !== undefined) {
        const source = await liveSource(ctx, lib, argv);
        try {
          return await exportHistory(ctx, lib, source, { ...argv, export: argv.export });
        } finally {
          await source.close();
        }
      }
      const source = argv.input === undefined ? await liveSource(ctx, lib, argv) : await exportSource(ctx, lib, argv.agent, argv.input);
      let cacheDir: string | undefined;
      let replayer: InstanceType<ReplayLibrary['Replayer']> | undefined;
      try {
        const component = argv.with === undefined ? await source.component() : (await loadArtifact(ctx, argv.with)).bytes;
        // The replay's own prepare cache: the node's data directory is only read.
        cacheDir = await mkdtemp(path.join(os.tmpdir(), 'caxton-replay-'));
        replayer = new lib.Replayer({
          engine: new lib.Engine({ cacheDir }),
          deployment: source.deployment,
          identity: source.identity,
          component,
          servicesByType: source.servicesByType,
          ...(source.localAgents === undefined ? {} : { localAgents: source.localAgents }),
          // The handlings not chosen run too, unreported: an agent's memory goes through what it went through.
          ...(select === undefined ? {} : { select, runUnselected: true }),
          ...(argv.trace ? { trace: true } : {}),
        });
        let lastNote = Date.now();
        for await (const report of replayer.run(source.events)) {
          if (ctx.args.json) ctx.printJsonLine({ type: 'handling', ...report });
          else if (argv.all || argv.trace || report.differences.length > 0) printReport(ctx, report);
          if (Date.now() - lastNote > 2000) {
            lastNote = Date.now();
            ctx.note(`replay: ${report.index} handlings replayed…`);
          }
        }
      } finally {
        replayer?.close();
        await source.close();
        if (cacheDir !== undefined) await rm(cacheDir, { recursive: true, force: true });
      }
      const summary = replayer.summaryOf();
      const { deployment } = source;
      const version =
        argv.with === undefined ? `version ${deployment.version} (recorded)` : `${argv.with} (against version ${deployment.version})`;
      if (ctx.args.json) ctx.printJsonLine({ type: 'summary', agent: argv.agent, version, ...summary, ...source.described() });
      else {
        ctx.print(
          `replayed ${summary.replayed} of ${summary.recorded} recorded handlings of ${argv.agent} with ${version} in ${(summary.elapsedMs / 1000).toFixed(2)} s (${Math.round(summary.deliveriesPerSecond)}/s): ${summary.diverged} differ, ${summary.crashed} crashed\n`,
        );
        if (summary.readSecureRandom > 0) ctx.print(`${summary.readSecureRandom} handlings read secure randomness (not reproducible)\n`);
        if (summary.unreplayable > 0)
          ctx.print(`${summary.unreplayable} timer firings could not run again: the log no longer holds the records that set them\n`);
        if (summary.differedReadingClock > 0)
          ctx.print(`${summary.differedReadingClock} of those that differ read the clock, whose time the log did not record\n`);
        if (summary.differedBeforeVersion > 0)
          ctx.print(`${summary.differedBeforeVersion} of those that differ were recorded under an earlier version\n`);
        const incomplete = source.incomplete();
        if (incomplete !== undefined) ctx.note(`replay: ${incomplete}`);
      }
      return summary.diverged > 0 ? EXIT.FAILURE : EXIT.OK;
    }),
  };
}
