/**
 * `caxton replay <agent> --export <file>` (issue 57): the agent's whole recorded history, its
 * deployment and its component, read from the node's data directory (read-only, as a replay reads
 * it) into one export file, so the trace can be moved off the production node and replayed
 * elsewhere with `--input`. The filters apply when the export is replayed, not here: an export
 * holds everything the log held. Progress on stderr every 2 s; a summary (or `--json`) at the end.
 */
import path from 'node:path';
import type { CommandContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { formatBytes } from '../format/units.js';

type ReplayLibrary = typeof import('@caxton/runtime/replay');
type EmbeddedHistorySummary = import('@caxton/runtime/replay').EmbeddedHistorySummary;
type ReplayExportWritten = import('@caxton/runtime/replay').ReplayExportWritten;

const PROGRESS_EVERY_MS = 2000;

export interface ExportArgs {
  agent: string;
  dataDir: string;
  export: string;
  force: boolean;
}

export async function exportHistory(ctx: CommandContext, lib: ReplayLibrary, argv: ExportArgs): Promise<number> {
  const dataDir = path.resolve(ctx.io.cwd, argv.dataDir);
  const file = path.resolve(ctx.io.cwd, argv.export);
  const agent = await lib.openOfflineAgent(dataDir, argv.agent);
  const component = await agent.component();
  let history: EmbeddedHistorySummary | undefined;
  // Every 2 s, whether events come or the reader is crossing other agents' traffic.
  let progress = { events: 0, bytes: 0 };
  const timer = setInterval(
    () => ctx.note(`replay: ${progress.events} events exported so far (${formatBytes(progress.bytes)})…`),
    PROGRESS_EVERY_MS,
  );
  let written: ReplayExportWritten;
  try {
    written = await lib.writeReplayExport(
      file,
      {
        deployment: agent.deployment,
        identity: agent.identity,
        servicesByType: agent.servicesByType,
        localAgents: agent.localAgents,
        component,
        events: lib.readEmbeddedHistory(agent.logDir, argv.agent, { onEnd: (s) => (history = s) }),
      },
      { overwrite: argv.force, onProgress: (p) => (progress = p) },
    );
  } finally {
    clearInterval(timer);
  }
  const version = agent.deployment.version;
  if (ctx.args.json) ctx.printJsonLine({ type: 'export', agent: argv.agent, version, ...written, history });
  else {
    ctx.print(
      `exported ${written.events} recorded events of ${argv.agent} (version ${version}) to ${written.file}: ${formatBytes(written.bytes)}, its component ${formatBytes(written.componentBytes)}\n`,
    );
    if (history !== undefined && (history.droppedDeliveries > 0 || history.droppedSends > 0 || history.segmentsCut.length > 0))
      ctx.note(
        `replay: the log read was incomplete (${history.droppedDeliveries} deliveries and ${history.droppedSends} sends past the reader's bounds, ${history.segmentsCut.length} segments cut short)`,
      );
  }
  return EXIT.OK;
}
