/**
 * `--assets <dir>` (decision 2192): a local directory's files packed into the component's
 * `caxton:assets` section, replacing any it had. Read as `fs import` reads (local-tree.ts: no link
 * followed, nothing swapped, every bound before a byte), with the assets' own bounds.
 */
import path from 'node:path';
import {
  AGENT_ASSET_LIMITS,
  ASSETS_SECTION,
  AssetsInvalidError,
  encodeAssets,
  withCustomSection,
  withoutCustomSections,
  type AssetFile,
} from '@caxton/core';
import { CliError } from '../cli-error.js';
import { EXIT } from '../exit-codes.js';
import { formatCount } from '../format/units.js';
import { readLocalTree } from './local-tree.js';

/** The files of `dir` (resolved against `cwd`) as assets, every bound checked. */
export async function readAssetsDir(cwd: string, dir: string): Promise<AssetFile[]> {
  const l = AGENT_ASSET_LIMITS;
  const tree = await readLocalTree(path.resolve(cwd, dir), dir, {
    maxEntries: l.maxFiles,
    maxFileBytes: l.maxFileBytes,
    maxTotalBytes: l.maxTotalBytes,
    storedBytes: (_path, size) => size,
    hint: `assets: at most ${formatCount(l.maxFiles)} files, ${formatCount(l.maxFileBytes)} bytes each and ${formatCount(l.maxTotalBytes)} together, regular files with /data's path rules (docs/writing-agents.md)`,
  });
  return tree.flatMap((e) => (e.type === 'file' ? [{ path: e.path, bytes: e.bytes }] : []));
}

/** `component` shipping `files` at /assets (none: shipping none), its earlier assets dropped. */
export function withAssets(component: Uint8Array, files: readonly AssetFile[], shown: string): Uint8Array {
  const bare = withoutCustomSections(component, ASSETS_SECTION);
  if (bare === undefined)
    throw new CliError(
      EXIT.FAILURE,
      `${shown} is not a WebAssembly component (its sections do not add up)`,
      'build it again, or give the .wasm the build wrote',
    );
  if (files.length === 0) return bare;
  try {
    return withCustomSection(bare, ASSETS_SECTION, encodeAssets(files));
  } catch (err) {
    if (err instanceof AssetsInvalidError) throw new CliError(EXIT.FAILURE, err.message, err.hint ?? '');
    throw err;
  }
}
