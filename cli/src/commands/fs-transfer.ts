/**
 * `caxton fs <agent> export <dir>` and `import <dir> [--replace]` (decision 2191): an agent's files
 * copied to a local directory and back. Both sides are hostile: the agent chose the names and
 * bytes an export writes, and whoever else can write in an import's directory could swap what is
 * read. So:
 * - an export writes only into a directory it makes (mode 700), or an empty one the user owns that
 *   no one else can write; each file is created exclusively (mode 600), so nothing is followed or
 *   overwritten; a `.git` name, or one that clashes with another, is left out and named;
 * - an import walks only directories the user (or root) owns that others cannot write, follows no
 *   link (each file is opened O_NOFOLLOW and checked to be the one the walk saw), refuses a link or
 *   special file, and checks every count, size and path — the total included — before it reads;
 *   the node checks the import again and commits it in one step (ImportState), the agent's other
 *   state untouched.
 */
import { lstat, mkdir, opendir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  AGENT_FILE_LIMITS,
  AGENT_FILES_ROOT,
  FILE_STATE_KEY_PREFIX,
  STATE_IMPORT_MAX_BYTES,
  stateImportEntryBytes,
  type StateEntry,
  storedFileValueLength,
  visibleId,
} from '@caxton/core';
import { CliError, UsageError } from '../cli-error.js';
import type { CommandContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { importWrites, notExported, treeOfState, typeConflicts, type TreeEntry } from '../files/agent-file-tree.js';
import { formatCount } from '../format/units.js';
import { isPrivate, readLocalTree } from '../files/local-tree.js';
import { follow } from './stream.js';

export interface TransferArgs {
  agent: string;
  path?: string;
  replace: boolean;
}

export async function exportFiles(ctx: CommandContext, argv: TransferArgs): Promise<number> {
  const root = localDirectory(ctx, argv, 'export');
  await exportRoot(root, argv.path!);
  const client = await ctx.client();
  const entries: StateEntry[] = [];
  await follow<StateEntry>(
    ctx,
    (onValue) => client.exportState(argv.agent, onValue),
    (entry) => {
      if (entry.key.startsWith(FILE_STATE_KEY_PREFIX)) entries.push(entry);
    },
  );
  const { tree, malformed } = treeOfState(entries);
  const skipped: { path: string; why: string }[] = [];
  const written: TreeEntry[] = [];
  let bytes = 0;
  for (const e of tree) {
    const why = notExported(e.path, path.sep === '\\');
    if (why !== undefined) {
      skipped.push({ path: e.path, why });
      continue;
    }
    const local = path.join(root, ...e.path.split('/'));
    const rel = path.relative(root, local);
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
      skipped.push({ path: e.path, why: 'it would leave the directory here' });
      continue;
    }
    try {
      // Inside the directory this command made (or an empty private one): no one else can plant a link in it.
      if (e.type === 'directory') await mkdir(local, { recursive: true, mode: 0o700 });
      else {
        await mkdir(path.dirname(local), { recursive: true, mode: 0o700 });
        await writeFile(local, e.bytes, { flag: 'wx', mode: 0o600 }); // exclusive: never through a link, never over a file
        bytes += e.bytes.byteLength;
      }
      written.push(e);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST' && code !== 'ENOTDIR' && code !== 'EISDIR') throw err;
      // Another name became the same one here (a file system folding case or Unicode forms).
      skipped.push({ path: e.path, why: 'it clashes with another name on this file system' });
    }
  }
  // Times last: writing a file into a directory changes the directory's.
  for (const e of [...written].reverse()) {
    const at = new Date(e.mtimeMs);
    if (!Number.isNaN(at.getTime())) await utimes(path.join(root, ...e.path.split('/')), at, at);
  }
  const files = written.filter((e) => e.type === 'file').length;
  const summary = { agent: argv.agent, dir: argv.path!, files, directories: written.length - files, bytes, malformed, skipped };
  if (ctx.args.json) ctx.printJson(summary);
  else
    ctx.print(
      `exported ${formatCount(files)} file(s) (${formatCount(bytes)} bytes) and ${formatCount(summary.directories)} directories of ${visibleId(argv.agent)} to ${visibleId(argv.path!)}\n`,
    );
  if (malformed.length > 0)
    ctx.note(
      `caxton: warning: ${malformed.length} key(s) under ${AGENT_FILES_ROOT} are not well-formed files a directory can hold, not written (see them with caxton state ${visibleId(argv.agent)} list --prefix)`,
    );
  for (const s of skipped) ctx.note(`caxton: warning: ${AGENT_FILES_ROOT}/${visibleId(s.path)} not written: ${s.why}`);
  return EXIT.OK;
}

export async function importFiles(ctx: CommandContext, argv: TransferArgs): Promise<number> {
  const root = localDirectory(ctx, argv, 'import');
  const tree = await readLocalTree(root, argv.path!, {
    maxEntries: AGENT_FILE_LIMITS.maxEntries,
    maxFileBytes: AGENT_FILE_LIMITS.maxFileBytes,
    maxTotalBytes: STATE_IMPORT_MAX_BYTES,
    // As the node counts a file (each entry's overhead too); directories and deletions count there as well.
    storedBytes: (rel, size, mtimeMs) =>
      stateImportEntryBytes(Buffer.byteLength(FILE_STATE_KEY_PREFIX + rel), storedFileValueLength(size, mtimeMs)),
    hint: limitsHint(),
  });
  const client = await ctx.client();
  const existing: string[] = [];
  let after: string | undefined;
  do {
    const page = await client.listState(argv.agent, {
      prefix: FILE_STATE_KEY_PREFIX,
      limit: 1000,
      ...(after !== undefined ? { after } : {}),
    });
    existing.push(...page.entries.map((e) => e.key));
    after = page.next;
  } while (after !== undefined);
  const conflicts = argv.replace ? [] : typeConflicts(tree, existing);
  if (conflicts.length > 0)
    throw new CliError(
      EXIT.CONFLICT,
      `${visibleId(argv.agent)} has a file where ${visibleId(argv.path!)} has a directory, or the reverse: ${conflicts
        .slice(0, 5)
        .map(visibleId)
        .join(', ')}${conflicts.length > 5 ? ', …' : ''}`,
      `pass --replace to make ${AGENT_FILES_ROOT} exactly the directory, or rename them first`,
    );
  const writes = importWrites(tree, existing, argv.replace);
  const result = await client.importState(argv.agent, writes);
  const files = tree.filter((e) => e.type === 'file').length;
  if (ctx.args.json) ctx.printJson({ agent: argv.agent, dir: argv.path!, files, ...result });
  else
    ctx.print(
      `imported ${formatCount(files)} file(s) from ${visibleId(argv.path!)} into ${AGENT_FILES_ROOT} of ${visibleId(argv.agent)}: ${formatCount(result.written)} written, ${formatCount(result.deleted)} deleted\n`,
    );
  return EXIT.OK;
}

function localDirectory(ctx: CommandContext, argv: TransferArgs, what: 'export' | 'import'): string {
  if (argv.path === undefined || argv.path === '')
    throw new UsageError(
      `\`fs <agent> ${what}\` needs a local directory`,
      what === 'export'
        ? `e.g. caxton fs ${argv.agent} export ./${argv.agent}-files (new or empty)`
        : `e.g. caxton fs ${argv.agent} import ./${argv.agent}-files`,
    );
  return path.resolve(ctx.io.cwd, argv.path);
}

async function exportRoot(root: string, shown: string): Promise<void> {
  await mkdir(path.dirname(root), { recursive: true });
  try {
    await mkdir(root, { mode: 0o700 }); // not recursive: one that appeared meanwhile (or a link) is EEXIST
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const st = await lstat(root);
  const dir = st.isDirectory() ? await opendir(root) : undefined;
  const empty = dir === undefined ? false : (await dir.read()) === null;
  await dir?.close();
  if (!st.isDirectory() || !empty)
    throw new CliError(
      EXIT.CONFLICT,
      `${visibleId(shown)} exists and is not an empty directory`,
      'export into a new or empty directory: nothing in it is overwritten',
    );
  if (!isPrivate(st, true))
    throw new CliError(
      EXIT.CONFLICT,
      `${visibleId(shown)} is an empty directory other users can write (or that is not yours)`,
      'export into a new directory (it is made mode 700), or one only you can write',
    );
}

function limitsHint(): string {
  const l = AGENT_FILE_LIMITS;
  return `an agent's files: at most ${formatCount(l.maxEntries)} files and directories, ${formatCount(l.maxFileBytes)} bytes a file, paths of ${l.maxPathBytes} bytes, names of ${l.maxNameBytes}, ${l.maxDepth} levels (docs/writing-agents.md)`;
}
