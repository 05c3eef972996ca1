/**
 * A new user's agent project: an example copied out of the repository (without its build output),
 * so `caxton build` really compiles it. A JavaScript project gets @caxton/sdk-js in its
 * node_modules — what `npm install @caxton/sdk-js` gives a user — as a link to the workspace copy.
 */
import { cp, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EXAMPLES, ROOT } from './paths.js';

export async function copyExample(example: string, into: string, dirName = path.basename(example)): Promise<string> {
  const dest = path.join(into, dirName);
  await cp(path.join(EXAMPLES, example), dest, {
    recursive: true,
    filter: (src) => !/[/\\](build|node_modules)$/.test(src),
  });
  const pkg = JSON.parse(await readFile(path.join(dest, 'package.json'), 'utf8')) as { caxton?: { language?: string } };
  if (pkg.caxton?.language !== 'assemblyscript') {
    await mkdir(path.join(dest, 'node_modules', '@caxton'), { recursive: true });
    await symlink(path.join(ROOT, 'sdk-js'), path.join(dest, 'node_modules', '@caxton', 'sdk-js'), 'dir');
  }
  return dest;
}

/** Edits one file of a copied project (e.g. to make a second version of an agent). */
export async function editFile(file: string, edit: (text: string) => string): Promise<void> {
  const before = await readFile(file, 'utf8');
  const after = edit(before);
  if (after === before) throw new Error(`editing ${file} changed nothing`);
  await writeFile(file, after);
}
