/**
 * A new user's agent project: an example copied out of the repository (without its build output),
 * so `caxton build` really compiles it. Nothing is installed into it: the SDKs are not published,
 * so a user's project has none, and `caxton build` provides them from its own install.
 */
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EXAMPLES } from './paths.js';

export async function copyExample(example: string, into: string, dirName = path.basename(example)): Promise<string> {
  const dest = path.join(into, dirName);
  await cp(path.join(EXAMPLES, example), dest, {
    recursive: true,
    filter: (src) => !/[/\\](build|node_modules)$/.test(src),
  });
  return dest;
}

/** Edits one file of a copied project (e.g. to make a second version of an agent). */
export async function editFile(file: string, edit: (text: string) => string): Promise<void> {
  const before = await readFile(file, 'utf8');
  const after = edit(before);
  if (after === before) throw new Error(`editing ${file} changed nothing`);
  await writeFile(file, after);
}
