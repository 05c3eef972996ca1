/**
 * `caxton replay <agent> --export <file>` (issue 57): the agent's whole recorded history, its
 * deployment and its component, read from the node's data directory or the cluster (read-only, as a
 * replay reads them: replay-source.ts) into one export file, so the trace can be moved off the production node and replayed
 * elsewhere with `--input`. The filters apply when the export is replayed, not here: an export
 * holds everything the log held. Progress on stderr every 2 s; a summary (or `--json`) at the end.
 */
import path from 'node:path';
import type { CommandContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { formatBytes } from '../format/units.js';
import type { HistorySource } from './replay-source.js';

type ReplayLibrary = typeof import('@caxton/runtime/replay');
type ReplayExportWritten = import('@caxton/runtime/replay').ReplayExportWritten;

const PROGRESS_EVERY_MS = 2000;

export interface ExportArgs {
  agent: string;
  export: string;
  force: boolean;
}

export async function exportHistory(ctx: CommandContext, lib: ReplayLibrary, source: HistorySource, argv: ExportArgs): Promise<number> {
  const file = path.resolve(ctx.io.cwd, argv.export);
  const component = await source.component();
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
        deployment: source.deployment,
        identity: source.identity,
        servicesByType: source.servicesByType,
        ...(source.localAgents === undefined ? {} : { localAgents: source.localAgents }),
        component,
        events: source.events,
      },
      { overwrite: argv.force, onProgress: (p) => (progress = p) },
    );
  } finally {
    clearInterval(timer);
  }
  const version = source.deployment.version;
  if (ctx.args.json) ctx.printJsonLine({ type: 'export', agent: argv.agent, version, ...written, ...source.described() });
  else {
    ctx.print(
      `exported ${written.events} recorded events of ${argv.agent} (version ${version}) to ${written.file}: ${formatBytes(written.bytes)}, its component ${formatBytes(written.componentBytes)}\n`,
    );
    const incomplete = source.incomplete();
    if (incomplete !== undefined) ctx.note(`replay: ${incomplete}`);
  }
  return EXIT.OK;
}
