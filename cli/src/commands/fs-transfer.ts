/**
 * `caxton fs <agent> export <dir>` and `import <dir> [--replace]` (decision 2191): an agent's files
 * copied to a local directory and back. An export writes only into a new or empty directory, each
 * file created exclusively (nothing there is followed or overwritten); an import walks the
 * directory without following links, refuses a link or special file, and checks every count,
 * size and path against the file system's limits before it reads a byte; the node then checks the
 * whole import again and commits it in one step (ImportState), the agent's other state untouched.
 */
import { lstat, mkdir, readdir, readFile, rmdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AGENT_FILE_LIMITS, AGENT_FILES_ROOT, FILE_STATE_KEY_PREFIX, type StateEntry } from '@caxton/core';
import { CliError, UsageError } from '../cli-error.js';
import type { CommandContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { importWrites, pathRefusal, treeOfState, typeConflicts, type TreeEntry } from '../files/agent-file-tree.js';
import { formatCount } from '../format/units.js';
import { follow } from './stream.js';

export interface TransferArgs {
  agent: string;
  path?: string;
  replace: boolean;
}

export async function exportFiles(ctx: CommandContext, argv: TransferArgs): Promise<number> {
  const root = localDirectory(ctx, argv, 'export');
  await emptyOrNew(root, argv.path!);
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
  let bytes = 0;
  for (const e of tree) {
    const local = path.join(root, ...e.path.split('/'));
    if (e.type === 'directory') await mkdir(local, { recursive: true });
    else {
      await mkdir(path.dirname(local), { recursive: true });
      await writeFile(local, e.bytes, { flag: 'wx' }); // exclusive: never through a link, never over a file
      bytes += e.bytes.byteLength;
    }
  }
  // Times last: writing a file into a directory changes the directory's.
  for (const e of [...tree].reverse()) {
    const at = new Date(e.mtimeMs);
    if (!Number.isNaN(at.getTime())) await utimes(path.join(root, ...e.path.split('/')), at, at);
  }
  const files = tree.filter((e) => e.type === 'file').length;
  const summary = { agent: argv.agent, dir: argv.path!, files, directories: tree.length - files, bytes, malformed };
  if (ctx.args.json) ctx.printJson(summary);
  else
    ctx.print(
      `exported ${formatCount(files)} file(s) (${formatCount(bytes)} bytes) and ${formatCount(summary.directories)} directories of ${argv.agent} to ${argv.path}\n`,
    );
  if (malformed.length > 0)
    ctx.note(
      `caxton: warning: ${malformed.length} key(s) under ${AGENT_FILES_ROOT} are not well-formed files and were not written (see them with caxton state ${argv.agent} list)`,
    );
  return EXIT.OK;
}

export async function importFiles(ctx: CommandContext, argv: TransferArgs): Promise<number> {
  const root = localDirectory(ctx, argv, 'import');
  const tree = await walk(root, argv.path!);
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
      `${argv.agent} has a file where ${argv.path} has a directory, or the reverse: ${conflicts.slice(0, 5).join(', ')}${conflicts.length > 5 ? ', …' : ''}`,
      `pass --replace to make ${AGENT_FILES_ROOT} exactly ${argv.path}, or rename them first`,
    );
  const writes = importWrites(tree, existing, argv.replace);
  const result = await client.importState(argv.agent, writes);
  const files = tree.filter((e) => e.type === 'file').length;
  if (ctx.args.json) ctx.printJson({ agent: argv.agent, dir: argv.path!, files, ...result });
  else
    ctx.print(
      `imported ${formatCount(files)} file(s) from ${argv.path} into ${AGENT_FILES_ROOT} of ${argv.agent}: ${formatCount(result.written)} written, ${formatCount(result.deleted)} deleted\n`,
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

async function emptyOrNew(root: string, shown: string): Promise<void> {
  const info = await lstat(root).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (info === undefined) {
    await mkdir(root, { recursive: true });
    return;
  }
  if (!info.isDirectory() || (await readdir(root)).length > 0)
    throw new CliError(
      EXIT.CONFLICT,
      `${shown} exists and is not an empty directory`,
      'export into a new or empty directory: nothing in it is overwritten',
    );
  // Made again, by us: an empty directory another user left could be theirs to fill meanwhile.
  await rmdir(root);
  await mkdir(root);
}

/** The tree under `root`, every limit checked before the bytes are read; links and special files refused. */
async function walk(root: string, shown: string): Promise<TreeEntry[]> {
  const info = await lstat(root).catch(() => undefined);
  if (info === undefined || !info.isDirectory())
    throw new CliError(EXIT.NOT_FOUND, `${shown} is not a directory`, 'give the directory whose files become the agent’s /data');
  const limits = AGENT_FILE_LIMITS;
  const found: { path: string; local: string; type: 'file' | 'directory'; size: number; mtimeMs: number }[] = [];
  const pending = [''];
  while (pending.length > 0) {
    const dir = pending.shift()!;
    for (const name of (await readdir(path.join(root, ...dir.split('/').filter(Boolean)))).sort()) {
      const rel = dir === '' ? name : `${dir}/${name}`;
      const local = path.join(root, ...rel.split('/'));
      const refused = pathRefusal(rel);
      if (refused !== undefined)
        throw new UsageError(`${JSON.stringify(rel)} in ${shown} is not a path an agent's files can have (${refused})`, limitsHint());
      const st = await lstat(local);
      if (st.isDirectory()) pending.push(rel);
      else if (!st.isFile())
        throw new UsageError(
          `${rel} in ${shown} is ${st.isSymbolicLink() ? 'a symbolic link' : 'not a regular file'}`,
          'an agent’s files are regular files and directories: copy what it points to in its place',
        );
      if (st.isFile() && st.size > limits.maxFileBytes)
        throw new UsageError(`${rel} in ${shown} has ${formatCount(st.size)} bytes, past one file's limit`, limitsHint());
      found.push({ path: rel, local, type: st.isDirectory() ? 'directory' : 'file', size: st.size, mtimeMs: Math.trunc(st.mtimeMs) });
      if (found.length > limits.maxEntries)
        throw new UsageError(`${shown} holds more than ${formatCount(limits.maxEntries)} files and directories`, limitsHint());
    }
  }
  const tree: TreeEntry[] = [];
  for (const f of found) {
    if (f.type === 'directory') {
      tree.push({ path: f.path, type: 'directory', mtimeMs: f.mtimeMs });
      continue;
    }
    const bytes = new Uint8Array(await readFile(f.local));
    // Read once, checked again: a file that grew since its lstat is not sent past the limit.
    if (bytes.byteLength > limits.maxFileBytes)
      throw new UsageError(`${f.path} in ${shown} grew past one file's limit while it was read`, limitsHint());
    tree.push({ path: f.path, type: 'file', mtimeMs: f.mtimeMs, bytes });
  }
  return tree;
}

function limitsHint(): string {
  const l = AGENT_FILE_LIMITS;
  return `an agent's files: at most ${formatCount(l.maxEntries)} files and directories, ${formatCount(l.maxFileBytes)} bytes a file, paths of ${l.maxPathBytes} bytes, names of ${l.maxNameBytes}, ${l.maxDepth} levels (docs/writing-agents.md)`;
}
