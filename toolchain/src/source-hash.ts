/**
 * A digest of everything that determines an artifact: the project's files, the SDK's files, the
 * WIT, toolchain versions and build options. Equal digests mean the build would produce the same
 * component, so `reuse` can skip it.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Directories never part of a source tree: dependencies, build outputs (caxton's `build/`, cargo's
 * `target/` when an author runs cargo in the project, Python's byte-code caches) and VCS data.
 */
const SKIP_DIRS = new Set(['node_modules', 'build', 'dist', '.git', 'target', '__pycache__']);

/**
 * Whether a path relative to a project (either separator) can change what the project builds:
 * no part of it is hidden (a dot name) or one of the skipped directories — the rule of the source
 * digest below, so `caxton dev` watches the files a build reads. The last part is checked too:
 * a watcher reports the creation of `build/` itself, which is no source change.
 */
export function isSourcePath(relPath: string): boolean {
  const parts = relPath.split(/[\\/]/).filter((p) => p !== '' && p !== '.');
  if (parts.length === 0 || parts.includes('..')) return false;
  return parts.every((p) => !p.startsWith('.') && !SKIP_DIRS.has(p));
}

function listFiles(root: string, skip: ReadonlySet<string>, rel = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(root, rel), { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const child = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name) && !skip.has(child)) out.push(...listFiles(root, skip, child));
    } else if (entry.isFile()) {
      out.push(child);
    }
  }
  return out;
}

export interface HashTree {
  dir: string;
  /** Top-level subdirectories that do not affect the artifact (an SDK's own tests, say). */
  skip?: string[];
}

export interface HashInputs {
  /** Directory trees whose files count (project dir, SDK dirs). */
  trees: Array<string | HashTree>;
  /** Single files (the WIT). */
  files: string[];
  /** Anything else that changes the output: versions, options. */
  settings: Record<string, unknown>;
}

export function sourceHash(inputs: HashInputs): string {
  const h = createHash('sha256');
  for (const t of inputs.trees) {
    const tree = typeof t === 'string' ? { dir: t } : t;
    h.update(`tree\0${path.basename(tree.dir)}\0`);
    for (const file of listFiles(tree.dir, new Set(tree.skip ?? [])).sort()) {
      h.update(`${file}\0`);
      h.update(readFileSync(path.join(tree.dir, file)));
      h.update('\0');
    }
  }
  for (const file of inputs.files) {
    h.update(`file\0${path.basename(file)}\0`);
    h.update(readFileSync(file));
  }
  h.update(JSON.stringify(inputs.settings));
  return h.digest('hex');
}
