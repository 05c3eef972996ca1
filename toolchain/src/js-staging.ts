/**
 * A JavaScript agent is compiled from a staging directory, so it builds wherever its project lives.
 *
 * QuickJS (componentize-qjs) resolves imports at build time inside one read-only module root, bare
 * imports by walking up `node_modules` from the importing file. An author's project outside the
 * Caxton checkout has no `node_modules/@caxton/sdk-js` on that walk (the SDK is not published; it
 * ships with caxton), so the build lays out:
 *
 *   <stage>/project/…                      a copy of the project (its own node_modules included)
 *   <stage>/node_modules/@caxton/sdk-js/…  the SDK this caxton carries, unless the project pins one
 *   <stage>/entry.js                       the generated wrapper (prelude, then the author's guest)
 *
 * and uses `<stage>` as the module root. A project that pins its own SDK copy in its node_modules
 * gets that copy: it is nearer on the walk. Copying is cheap next to the QuickJS build (~1 s).
 */
import { realpathSync } from 'node:fs';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { resolveSubpath, type ResolvedPackage } from './toolchain.js';

/** Top-level project entries never copied: build outputs, scratch space and VCS data. */
const SKIPPED_TOP_LEVEL = new Set(['.caxton', 'build', '.git']);
/** SDK subdirectories that never end up in an agent (its tests and benchmarks). */
const SDK_SKIPPED = new Set(['test', 'bench', 'node_modules']);

export interface JsStage {
  /** The module root handed to QuickJS. */
  root: string;
  /** The wrapper entry's path inside the stage. */
  entryPath: string;
  /** Maps a path inside the stage back to the author's files, for compiler messages. */
  unstage(text: string): string;
  dispose(): Promise<void>;
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

export async function stageJavaScriptProject(projectDir: string, entry: string, sdk: ResolvedPackage): Promise<JsStage> {
  const root = await mkdtemp(path.join(tmpdir(), 'caxton-js-build-'));
  try {
    const projectCopy = path.join(root, 'project');
    await cp(projectDir, projectCopy, {
      recursive: true,
      dereference: true,
      filter: (src) => path.dirname(src) !== projectDir || !SKIPPED_TOP_LEVEL.has(path.basename(src)),
    });
    // The SDK the author's `import … from '@caxton/sdk-js'` will resolve to, and whose prelude we load.
    const pinned = isInside(sdk.dir, projectDir);
    const sdkInStage = pinned
      ? path.join(projectCopy, path.relative(projectDir, sdk.dir))
      : path.join(root, 'node_modules', ...sdk.name.split('/'));
    if (!pinned) {
      const sdkSource = realpathSync(sdk.dir);
      await cp(sdkSource, sdkInStage, {
        recursive: true,
        dereference: true,
        filter: (src) => path.dirname(src) !== sdkSource || !SDK_SKIPPED.has(path.basename(src)),
      });
    }
    const preludeInSdk = path.relative(sdk.dir, resolveSubpath(sdk, './prelude'));
    const prelude = path.relative(root, path.join(sdkInStage, preludeInSdk)).split(path.sep).join('/');
    const author = path.relative(root, path.join(projectCopy, entry)).split(path.sep).join('/');
    const entryPath = path.join(root, 'entry.js');
    await writeFile(entryPath, `import ${JSON.stringify(`./${prelude}`)};\nexport * from ${JSON.stringify(`./${author}`)};\n`);
    return {
      root,
      entryPath,
      unstage: (text) => text.split(projectCopy).join(projectDir).split(root).join('<build stage>'),
      dispose: () => rm(root, { recursive: true, force: true }),
    };
  } catch (err) {
    await rm(root, { recursive: true, force: true });
    throw err;
  }
}
