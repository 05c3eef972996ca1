/**
 * `caxton replay <agent>` (issue 57): runs an agent again on the handlings its node's log recorded,
 * beside the node, reading its data directory only (the registry, the artifact store, the embedded
 * log): nothing is sent, no HTTP call leaves, nothing is written there. By default the recorded
 * version runs and any difference is a determinism bug; with `--with` another version runs and the
 * differences are what it would have done otherwise. Exit 0 when nothing differs, 1 when something
 * did. `--json`: one line per handling reported, then the summary.
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

type Args = GlobalArgs & {
  agent: string;
  with?: string;
  from?: string;
  until?: string;
  conversation?: string;
  message?: string;
  all: boolean;
};

type ReplayLibrary = typeof import('@caxton/runtime/replay');
type HandlingReport = import('@caxton/runtime/replay').HandlingReport;
type RecordedHandling = import('@caxton/runtime/replay').RecordedHandling;

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
  ctx.print(`#${r.index} ${describeWork(r)}: ${r.outcome}, ${r.fuelUsed} fuel — ${verdict}`);
  for (const d of r.differences) {
    ctx.print(`    ${d.what}: recorded ${JSON.stringify(d.recorded)}`);
    ctx.print(`    ${' '.repeat(d.what.length)}  replayed ${JSON.stringify(d.replayed)}`);
  }
  if (r.differences.length > 0 && r.secureRandomBytes > 0)
    ctx.print(`    (it read ${r.secureRandomBytes} bytes of secure randomness, which no replay reproduces)`);
}

export function replayCommand(env: AppEnv): CommandModule<GlobalArgs, Args> {
  return {
    command: 'replay <agent>',
    describe: "Run an agent again on its recorded traffic (the node's data dir), offline, and show what differs",
    builder: (y) =>
      y
        .positional('agent', { type: 'string', demandOption: true, describe: 'The agent (or kind instance <kind>/<key>) to replay' })
        .option('with', { type: 'string', describe: 'Run this version instead (a .wasm component or a project directory)' })
        .option('from', { type: 'string', describe: 'Only handlings of work from this time (ISO 8601 or ms)' })
        .option('until', { type: 'string', describe: 'Only handlings of work up to this time' })
        .option('conversation', { type: 'string', describe: 'Only the handlings of this conversation' })
        .option('message', { type: 'string', describe: 'Only the handling of this message id' })
        .option('all', { type: 'boolean', default: false, describe: 'Print every handling, not only those that differ' })
        .example(
          '$0 replay counter --data-dir ./data',
          'the recorded version on everything the log holds: any difference is a determinism bug',
        )
        .example(
          '$0 replay counter --with ./counter-v2 --from 2026-11-28T03:00:00Z',
          'what version 2 would have done since 03:00',
        ) as unknown as Argv<Args>,
    handler: localAction<Args>(env, async (ctx, argv) => {
      const select = selection(argv);
      const lib: ReplayLibrary = await import('@caxton/runtime/replay');
      const dataDir = path.resolve(ctx.io.cwd, argv.dataDir);
      const agent = await lib.openOfflineAgent(dataDir, argv.agent);
      const component = argv.with === undefined ? await agent.component() : (await loadArtifact(ctx, argv.with)).bytes;
      // The replay's own prepare cache: the node's data directory is only read.
      const cacheDir = await mkdtemp(path.join(os.tmpdir(), 'caxton-replay-'));
      const replayer = new lib.Replayer({
        engine: new lib.Engine({ cacheDir }),
        deployment: agent.deployment,
        identity: agent.identity,
        component,
        servicesByType: agent.servicesByType,
        ...(select === undefined ? {} : { select }),
      });
      let history: import('@caxton/runtime/replay').EmbeddedHistorySummary | undefined;
      const events = lib.readEmbeddedHistory(agent.logDir, argv.agent, { onEnd: (s) => (history = s) });
      let lastNote = Date.now();
      try {
        for await (const report of replayer.run(events)) {
          if (ctx.args.json) ctx.printJsonLine({ type: 'handling', ...report });
          else if (argv.all || report.differences.length > 0) printReport(ctx, report);
          if (Date.now() - lastNote > 2000) {
            lastNote = Date.now();
            ctx.note(`replay: ${report.index} handlings replayed…`);
          }
        }
      } finally {
        replayer.close();
        await rm(cacheDir, { recursive: true, force: true });
      }
      const summary = replayer.summaryOf();
      const version =
        argv.with === undefined
          ? `version ${agent.deployment.version} (recorded)`
          : `${argv.with} (against version ${agent.deployment.version})`;
      if (ctx.args.json) ctx.printJsonLine({ type: 'summary', agent: argv.agent, version, ...summary, history });
      else {
        ctx.print(
          `replayed ${summary.replayed} of ${summary.recorded} recorded handlings of ${argv.agent} with ${version} in ${(summary.elapsedMs / 1000).toFixed(2)} s (${Math.round(summary.deliveriesPerSecond)}/s): ${summary.diverged} differ, ${summary.crashed} crashed`,
        );
        if (summary.readSecureRandom > 0) ctx.print(`${summary.readSecureRandom} handlings read secure randomness (not reproducible)`);
        if (history !== undefined && (history.droppedDeliveries > 0 || history.droppedSends > 0 || history.segmentsCut.length > 0))
          ctx.note(
            `replay: the log read was incomplete (${history.droppedDeliveries} deliveries and ${history.droppedSends} sends past the reader's bounds, ${history.segmentsCut.length} segments cut short)`,
          );
      }
      return summary.diverged > 0 ? EXIT.FAILURE : EXIT.OK;
    }),
  };
}
