/**
 * Finding and loading the compilers an agent build needs. We resolve packages ourselves (walking up
 * `node_modules` from a list of directories) instead of relying on this module's own resolution,
 * so an agent project can pin its own toolchain and a missing one becomes a precise error instead
 * of "Cannot find module".
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ToolchainMissingError } from './errors.js';

export interface ResolvedPackage {
  name: string;
  version: string;
  /** The package's directory (symlinks not resolved, so workspace links keep their location). */
  dir: string;
  /** The `node_modules` directory it was found in. */
  nodeModulesDir: string;
  manifest: PackageManifest;
}

interface PackageManifest {
  name?: string;
  version?: string;
  main?: string;
  exports?: unknown;
}

/** The directory of the @caxton/toolchain package this module belongs to. */
export function toolchainPackageDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as PackageManifest).name === '@caxton/toolchain') {
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot locate the @caxton/toolchain package directory');
    dir = parent;
  }
}

/** Where to look for toolchains by default: the agent project first, then the Caxton install. */
export function defaultToolchainDirs(projectDir: string): string[] {
  return [projectDir, toolchainPackageDir()];
}

/** Finds `name` in the node_modules of any of `fromDirs` or their ancestors. */
export function findPackage(name: string, fromDirs: readonly string[]): ResolvedPackage | undefined {
  for (const start of fromDirs) {
    let dir = path.resolve(start);
    for (;;) {
      const nodeModulesDir = path.join(dir, 'node_modules');
      const pkgDir = path.join(nodeModulesDir, ...name.split('/'));
      const manifestPath = path.join(pkgDir, 'package.json');
      if (existsSync(manifestPath)) {
        const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as PackageManifest;
        return { name, version: manifest.version ?? '0.0.0', dir: pkgDir, nodeModulesDir, manifest };
      }
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  return undefined;
}

/** Like `findPackage`, but a missing package is a `ToolchainMissingError` saying how to install it. */
export function requirePackage(name: string, fromDirs: readonly string[], purpose: string, version?: string): ResolvedPackage {
  const found = findPackage(name, fromDirs);
  if (!found) {
    const spec = version ? `${name}@${version}` : name;
    // Caxton's own packages (the SDKs) are not published: they ship inside the caxton install, so
    // the only remedy is a complete install, never an `npm install` of the package itself.
    const install = name.startsWith('@caxton/')
      ? `${name} ships with caxton itself and is missing from this install; reinstall caxton (npm install in the Caxton checkout)`
      : `npm install --save-exact ${spec}`;
    throw new ToolchainMissingError(name, [...fromDirs], purpose, install);
  }
  return found;
}

/** Picks the ESM target of an `exports` entry (string or nested condition object). */
function pickTarget(entry: unknown): string | undefined {
  if (typeof entry === 'string') return entry;
  if (Array.isArray(entry)) {
    for (const e of entry) {
      const t = pickTarget(e);
      if (t) return t;
    }
    return undefined;
  }
  if (entry && typeof entry === 'object') {
    const conditions = entry as Record<string, unknown>;
    for (const key of ['import', 'node', 'default']) {
      if (key in conditions) {
        const t = pickTarget(conditions[key]);
        if (t) return t;
      }
    }
  }
  return undefined;
}

/** The file a package subpath (".", "./asc", …) maps to, honouring the `exports` map. */
export function resolveSubpath(pkg: ResolvedPackage, subpath: string): string {
  const exportsField = pkg.manifest.exports;
  if (exportsField !== undefined) {
    const map =
      typeof exportsField === 'string' ||
      Array.isArray(exportsField) ||
      (exportsField && typeof exportsField === 'object' && !Object.keys(exportsField).some((k) => k.startsWith('.')))
        ? { '.': exportsField }
        : (exportsField as Record<string, unknown>);
    const direct = map[subpath];
    let target = direct !== undefined ? pickTarget(direct) : undefined;
    if (target === undefined) {
      // Pattern exports such as "./*": "./*".
      for (const [key, value] of Object.entries(map)) {
        const star = key.indexOf('*');
        if (star < 0) continue;
        const prefix = key.slice(0, star);
        const suffix = key.slice(star + 1);
        if (subpath.startsWith(prefix) && subpath.endsWith(suffix)) {
          const t = pickTarget(value);
          if (t) target = t.replace('*', subpath.slice(prefix.length, subpath.length - suffix.length));
          break;
        }
      }
    }
    if (target !== undefined) return path.join(pkg.dir, target);
    throw new Error(`${pkg.name} does not export ${subpath}`);
  }
  if (subpath === '.') return path.join(pkg.dir, pkg.manifest.main ?? 'index.js');
  return path.join(pkg.dir, subpath);
}

/** Imports a package subpath as an ES module. */
export async function importSubpath<T>(pkg: ResolvedPackage, subpath: string): Promise<T> {
  return (await import(pathToFileURL(resolveSubpath(pkg, subpath)).href)) as T;
}
