/**
 * Reading and writing the contexts file (context-config.ts says what is in it). Written the way a
 * half-finished write can never be read: a new file beside it, created 0600 (it names where the
 * operator's token files are), flushed, then renamed over the old one.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import type { Io } from './io.js';
import {
  configFilePath,
  ContextConfigError,
  EMPTY_CONTEXT_CONFIG,
  MAX_CONFIG_BYTES,
  parseContextConfig,
  serializeContextConfig,
  type ContextConfig,
} from './context-config.js';

/** The file this invocation reads and writes (CAXTON_CONFIG, XDG_CONFIG_HOME, or the home directory). */
export function contextConfigFile(io: Io): string {
  return configFilePath(io.env, homedir(), io.cwd);
}

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT';
}

/** The contexts in `file`; none when there is no file yet. */
export async function loadContextConfig(file: string): Promise<ContextConfig> {
  let size: number;
  try {
    const s = await stat(file);
    if (!s.isFile())
      throw new ContextConfigError(file, undefined, 'is not a regular file', 'point CAXTON_CONFIG at a file, or remove what is there');
    size = s.size;
  } catch (err) {
    if (isMissing(err)) return EMPTY_CONTEXT_CONFIG;
    throw err;
  }
  if (size > MAX_CONFIG_BYTES)
    throw new ContextConfigError(
      file,
      undefined,
      `is ${size} bytes, more than a contexts file can be (${MAX_CONFIG_BYTES})`,
      'is CAXTON_CONFIG pointing at the right file?',
    );
  return parseContextConfig(await readFile(file, 'utf8'), file);
}

/** Replaces `file` with `config`, atomically, mode 0600; creates its directory (0700) if needed. */
export async function saveContextConfig(file: string, config: ContextConfig): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  // 'wx': never follows or reuses something already at the temporary name.
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(serializeContextConfig(config), 'utf8');
    await handle.sync();
    await handle.close();
    await rename(temp, file);
  } catch (err) {
    await handle.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}
