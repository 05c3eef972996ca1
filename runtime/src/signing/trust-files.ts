/**
 * Loading the public keys a node trusts (`caxton serve --trust <file|dir>…`): each path is a PEM
 * public key file or a directory whose `*.pub` / `*.pem` files are read (not recursively).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { KeyObject } from 'node:crypto';
import { parsePublicKey, SigningKeyError } from './keys.js';

export async function loadTrustedKeys(paths: readonly string[]): Promise<KeyObject[]> {
  const keys: KeyObject[] = [];
  for (const p of paths) {
    let info;
    try {
      info = await stat(p);
    } catch {
      throw new SigningKeyError(
        `trusted key ${p} does not exist`,
        p,
        'give public key files (or a directory of *.pub files) made by `caxton keygen`',
      );
    }
    const files = info.isDirectory()
      ? (await readdir(p))
          .filter((f) => f.endsWith('.pub') || f.endsWith('.pem'))
          .sort()
          .map((f) => path.join(p, f))
      : [p];
    if (info.isDirectory() && files.length === 0)
      throw new SigningKeyError(`${p} holds no *.pub or *.pem file`, p, "put the signers' public keys (agent-signing.pub) in it");
    for (const file of files) keys.push(parsePublicKey(await readFile(file, 'utf8'), file));
  }
  return keys;
}
