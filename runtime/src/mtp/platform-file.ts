/**
 * The node's platform name, kept in `<dataDir>/platform` from the data directory's first start
 * (decision 1910, "Two Caxton platforms"). Messages, `reply-to` lists, outbox records and
 * directory entries in the data directory carry fully qualified names (`name@platform`): started
 * again under another name, the node would take its own agents for a peer's and post them to the
 * MTP. So a different name is refused, with a hint, before the node opens anything.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { CaxtonError } from '@caxton/core';
import { readBoundedFileSync, type BoundedFileError } from '../listener/index.js';
import { PLATFORM_NAME } from './advertise.js';

/** The file's name in the data directory. */
export const PLATFORM_FILE = 'platform';
/** Larger than any platform name and its newline: a bigger file is not one this node wrote. */
const MAX_PLATFORM_FILE_BYTES = 256;

/** The node was started with a platform name other than the one its data directory keeps. */
export class PlatformChangedError extends CaxtonError {
  constructor(dataDir: string, kept: string, given: string) {
    super(
      'node.platform-changed',
      `the data directory ${dataDir} belongs to platform ${JSON.stringify(kept)}, not ${JSON.stringify(given)}: its messages and records name its agents <name>@${kept}`,
      {
        kind: 'failed-precondition',
        context: { dataDir, kept, given },
        hint: `start it with --platform ${kept} (the name is fixed at a data directory's first start; every node of a cluster must use the same one), or give a new --data-dir for platform ${given}`,
      },
    );
  }
}

/** The data directory's platform file is not one this node wrote. */
export class PlatformFileError extends CaxtonError {
  constructor(file: string, why: string) {
    super('node.platform-file', `${file}: ${why}`, {
      kind: 'failed-precondition',
      context: { file },
      hint: `it holds the platform name this data directory was first started with (one line, e.g. caxton-a); restore it, or remove it to keep the name given now`,
    });
  }
}

/**
 * `platform` (already checked against the grammar), compared with the one the data directory
 * keeps; written there on the first start. A data directory from before the file keeps the
 * name it is started with now.
 */
export function keepPlatformName(dataDir: string, platform: string): string {
  const file = path.join(dataDir, PLATFORM_FILE);
  const kept = readKept(file);
  if (kept === undefined) {
    writeFileSync(file, `${platform}\n`, { mode: 0o600 });
    return platform;
  }
  if (kept !== platform) throw new PlatformChangedError(dataDir, kept, platform);
  return platform;
}

/**
 * The name a data directory keeps, or undefined when it has none yet (read only: for tools beside
 * a node, such as `caxton replay`). Read bounded, from a regular file, no symlink followed.
 */
export function readKeptPlatformName(dataDir: string): string | undefined {
  return readKept(path.join(dataDir, PLATFORM_FILE));
}

/** The kept name, or undefined when there is no file yet; read bounded, from a regular file, no symlink followed. */
function readKept(file: string): string | undefined {
  let bytes: Buffer;
  try {
    bytes = readBoundedFileSync(file, MAX_PLATFORM_FILE_BYTES, { noFollow: true });
  } catch (err) {
    if ((err as BoundedFileError).code === 'ENOENT') return undefined;
    throw new PlatformFileError(file, (err as Error).message);
  }
  const name = bytes.toString('utf8').trim();
  if (!PLATFORM_NAME.test(name)) throw new PlatformFileError(file, `${JSON.stringify(name.slice(0, 140))} is not a platform name`);
  return name;
}
