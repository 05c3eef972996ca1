/**
 * `caxton fs <agent> ls [dir] | cat <path> | export <dir> | import <dir>`: an agent's files at /data
 * (decision 2191), kept in its durable state, where each file and directory is a key (core's
 * agent-files.ts). ls and cat read; export and import (fs-transfer.ts) copy them to a local
 * directory and back; `caxton state <agent> export|import` backs them up with the rest of its
 * state. The agent need not be deployed.
 */
import type { Argv, CommandModule } from 'yargs';
import {
  AGENT_FILE_LIMITS,
  AGENT_FILES_ROOT,
  CaxtonError,
  visibleId,
  decodeStoredFile,
  directoryStateKey,
  FILE_STATE_KEY_PREFIX,
  fileStateKey,
  resolveAgentPath,
  type StateEntry,
  storedFileSize,
  storedMtimeMs,
} from '@caxton/core';
import { action, type AppEnv } from '../action.js';
import { CliError, UsageError } from '../cli-error.js';
import type { CommandContext, GlobalArgs } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { formatCount } from '../format/units.js';
import { exportFiles, importFiles } from './fs-transfer.js';

export const FS_ACTIONS = ['ls', 'cat', 'export', 'import'] as const;
export type FsAction = (typeof FS_ACTIONS)[number];

export type FsArgs = GlobalArgs & { agent: string; action: FsAction; path?: string; raw: boolean; replace: boolean };

/** Entries a page of `ls` asks for: a page carries their values (up to a whole file each), so it is kept small. */
const PAGE = 32;

/** One entry of a listing. */
export interface FsEntry {
  name: string;
  type: 'file' | 'directory';
  /** Bytes (a file's). */
  size: number;
  /** When it was last written: the time of the message whose handling wrote it (ms). */
  mtimeMs: number;
}

/**
 * `path` as the agent's file system names it (relative to /data, '' for /data), from what an
 * operator typed: relative, or absolute under /data. Pure; unit-tested.
 */
export function agentFilePath(path: string | undefined): string {
  if (path === undefined || path === '' || path === AGENT_FILES_ROOT || path === `${AGENT_FILES_ROOT}/`) return '';
  const relative = path.startsWith(`${AGENT_FILES_ROOT}/`) ? path.slice(AGENT_FILES_ROOT.length + 1) : path;
  const resolved = resolveAgentPath('', relative, AGENT_FILE_LIMITS);
  if ('refused' in resolved)
    throw new UsageError(
      `${JSON.stringify(path)} is not a path under ${AGENT_FILES_ROOT} (${resolved.refused})`,
      `give a path relative to ${AGENT_FILES_ROOT} (notes/today.txt) or under it (${AGENT_FILES_ROOT}/notes/today.txt)`,
    );
  return resolved.path;
}

/** The entries directly in the directory whose keys start with `prefix`, from state entries under it. Pure; unit-tested. */
export function directoryEntries(prefix: string, entries: readonly StateEntry[]): FsEntry[] {
  return sortedByName(entriesOf(prefix, entries));
}

function sortedByName(entries: FsEntry[]): FsEntry[] {
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** A page's entries directly in the directory (values dropped: only sizes and times are kept). */
function entriesOf(prefix: string, entries: readonly StateEntry[]): FsEntry[] {
  const out: FsEntry[] = [];
  for (const e of entries) {
    if (!e.key.startsWith(prefix)) continue;
    const rest = e.key.slice(prefix.length);
    const slash = rest.indexOf('/');
    if (rest === '') continue; // the directory's own key
    if (slash < 0) out.push({ name: rest, type: 'file', size: storedFileSize(e.value), mtimeMs: storedMtimeMs(e.value) });
    else if (slash === rest.length - 1) out.push({ name: rest.slice(0, -1), type: 'directory', size: 0, mtimeMs: storedMtimeMs(e.value) });
  }
  return out;
}

/**
 * True when `bytes` would drive a terminal rather than show text: ESC, C1 controls (UTF-8 C2 80-9F)
 * or control bytes other than tab, newline and carriage return. An agent wrote them; `cat` to a
 * terminal refuses them unless `--raw` (a pipe or file gets the bytes as they are). Pure; unit-tested.
 */
export function drivesTerminal(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) || b === 0x7f) return true;
    if (b === 0xc2 && i + 1 < bytes.length && bytes[i + 1]! >= 0x80 && bytes[i + 1]! <= 0x9f) return true;
  }
  return false;
}

export function fsCommand(env: AppEnv): CommandModule<GlobalArgs, FsArgs> {
  return {
    command: 'fs <agent> <action> [path]',
    describe: "List, print, export or import an agent's files at /data (kept in its durable state)",
    builder: (y) =>
      y
        .positional('agent', { type: 'string', demandOption: true, describe: 'Name of the agent (need not be deployed)' })
        .positional('action', {
          type: 'string',
          choices: FS_ACTIONS,
          demandOption: true,
          describe: 'ls [dir] | cat <path> | export <local-dir> | import <local-dir>',
        })
        .positional('path', {
          type: 'string',
          describe: `A directory (ls) or file (cat) under ${AGENT_FILES_ROOT}; a local directory (export, import)`,
        })
        .option('replace', {
          type: 'boolean',
          default: false,
          describe: `import: make ${AGENT_FILES_ROOT} exactly the directory (its other files and directories deleted; other state kept)`,
        })
        .option('raw', {
          type: 'boolean',
          default: false,
          describe: 'cat: write control and escape bytes to a terminal too (the agent chose them)',
        })
        .example('$0 fs notes ls', `the files and directories in ${AGENT_FILES_ROOT}`)
        .example('$0 fs notes ls logs --json', 'one {"name","type","size","mtimeMs"} per line')
        .example('$0 fs notes cat logs/today.txt > today.txt', "a file's bytes on stdout")
        .example('$0 fs notes export ./notes-files', 'its files as local files (a new or empty directory)')
        .example('$0 fs notes import ./notes-files --replace', `${AGENT_FILES_ROOT} made exactly that directory, in one commit`)
        .example('$0 state notes export > notes.jsonl', 'back up the files with the rest of the state') as unknown as Argv<FsArgs>,
    handler: action<FsArgs>(env, async (ctx, argv) => {
      if (argv.action === 'ls') return ls(ctx, argv);
      if (argv.action === 'cat') return cat(ctx, argv);
      return argv.action === 'export' ? exportFiles(ctx, argv) : importFiles(ctx, argv);
    }),
  };
}

async function ls(ctx: CommandContext, argv: FsArgs): Promise<number> {
  const dir = agentFilePath(argv.path);
  const prefix = dir === '' ? FILE_STATE_KEY_PREFIX : directoryStateKey(dir);
  const client = await ctx.client();
  const found: FsEntry[] = [];
  let sawDirectory = false;
  let after: string | undefined;
  do {
    const page = await client.listState(argv.agent, { limit: PAGE, prefix, ...(after !== undefined ? { after } : {}) });
    found.push(...entriesOf(prefix, page.entries));
    sawDirectory ||= page.entries.some((e) => e.key === prefix);
    after = page.next;
  } while (after !== undefined);
  const shown = `${AGENT_FILES_ROOT}${dir === '' ? '' : `/${dir}`}`;
  if (dir !== '' && !sawDirectory && found.length === 0) {
    const isFile = await client.getState(argv.agent, fileStateKey(dir)).then(
      () => true,
      (err: unknown) => {
        if (err instanceof CaxtonError && err.kind === 'not-found') return false;
        throw err;
      },
    );
    throw new CliError(
      EXIT.NOT_FOUND,
      isFile ? `${shown} is a file, not a directory` : `${argv.agent} has no directory ${shown}`,
      isFile ? `print it: caxton fs ${argv.agent} cat ${dir}` : `list ${AGENT_FILES_ROOT}: caxton fs ${argv.agent} ls`,
    );
  }
  const entries = sortedByName(found);
  if (ctx.args.json) {
    for (const e of entries) ctx.printJsonLine(e);
    return EXIT.OK;
  }
  if (entries.length === 0) {
    ctx.note(`${shown} of ${argv.agent} is empty`);
    return EXIT.OK;
  }
  const sizes = entries.map((e) => (e.type === 'directory' ? '-' : formatCount(e.size)));
  const width = Math.max(4, ...sizes.map((s) => s.length));
  // The agent chose the names: control, bidi and zero-width characters are shown as ? (as top shows ids).
  const rows = entries.map(
    (e, i) =>
      `${e.type === 'directory' ? 'dir ' : 'file'}  ${sizes[i]!.padStart(width)}  ${shownTime(e.mtimeMs)}  ${visibleId(e.name)}${e.type === 'directory' ? '/' : ''}`,
  );
  ctx.print(`TYPE  ${'SIZE'.padStart(width)}  MODIFIED                  NAME\n${rows.join('\n')}\n`);
  return EXIT.OK;
}

async function cat(ctx: CommandContext, argv: FsArgs): Promise<number> {
  if (argv.path === undefined || agentFilePath(argv.path) === '')
    throw new UsageError(
      '`fs <agent> cat` needs a file',
      `e.g. caxton fs ${argv.agent} cat notes.txt; list them with caxton fs ${argv.agent} ls`,
    );
  const path = agentFilePath(argv.path);
  const client = await ctx.client();
  const entry = await client.getState(argv.agent, fileStateKey(path)).catch(async (err: unknown) => {
    if (!(err instanceof CaxtonError && err.kind === 'not-found')) throw err;
    const isDirectory = await client.getState(argv.agent, directoryStateKey(path)).then(
      () => true,
      () => false,
    );
    throw new CliError(
      EXIT.NOT_FOUND,
      isDirectory ? `${AGENT_FILES_ROOT}/${path} is a directory` : `${argv.agent} has no file ${AGENT_FILES_ROOT}/${path}`,
      isDirectory
        ? `list it: caxton fs ${argv.agent} ls ${path}`
        : `list its files: caxton fs ${argv.agent} ls${path.includes('/') ? ` ${path.slice(0, path.lastIndexOf('/'))}` : ''}`,
    );
  });
  const file = decodeStoredFile(entry.value);
  if (file === undefined)
    throw new CliError(
      EXIT.FAILURE,
      `${AGENT_FILES_ROOT}/${path} of ${argv.agent} is not a stored file`,
      'it was imported malformed: export the state and look at its key',
    );
  if (ctx.args.json) {
    ctx.printJson({
      path: `${AGENT_FILES_ROOT}/${path}`,
      size: file.bytes.byteLength,
      mtimeMs: file.mtimeMs,
      base64: Buffer.from(file.bytes).toString('base64'),
    });
    return EXIT.OK;
  }
  if (ctx.io.stdout.isTTY === true && !argv.raw && drivesTerminal(file.bytes))
    throw new CliError(
      EXIT.FAILURE,
      `${AGENT_FILES_ROOT}/${path} has control or escape bytes, which would drive this terminal (the agent wrote them)`,
      `redirect it to a file (caxton fs ${argv.agent} cat ${path} > file), or pass --raw to write them anyway`,
    );
  ctx.io.stdout.write(file.bytes);
  return EXIT.OK;
}

/** A time as ISO text; one out of what a Date holds (an operator's import) shown as its number. */
function shownTime(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString();
}
