// Whether the bundled CLI (cli/dist/bundle, decision 2051) matches what it was made from. Plain
// JavaScript beside the bin because the bin reads it before anything is compiled or loaded.
//
// stamp.json maps files, by their path relative to the repository root, to "size:mtimeMs" as they
// were when the bundle was made: the tsc build info of every workspace package the bundle holds
// and the package.json of every node_modules package it holds (an `npm install` that moves yargs
// or grpc-js). Any difference, a missing or unreadable stamp, or a path that leaves the root: the
// bundle is not current and the bin runs the compiled modules instead.
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const STAMP_PATH = 'cli/dist/bundle/stamp.json';

/** What the stamp records for one file. */
export function stampOf(stats) {
  return `${stats.size}:${stats.mtimeMs}`;
}

/** A stamp key is a relative path inside the root: no absolute path, no `..` segment. */
function isInsideRoot(rel) {
  return typeof rel === 'string' && rel !== '' && !path.isAbsolute(rel) && !rel.split(/[/\\]/).includes('..');
}

/** `root` is the repository root, as a path or a file URL. */
export function bundleIsCurrent(root) {
  const dir = typeof root === 'string' ? root : fileURLToPath(root);
  try {
    const stamp = JSON.parse(readFileSync(path.join(dir, STAMP_PATH), 'utf8'));
    if (stamp === null || typeof stamp !== 'object' || Array.isArray(stamp)) return false;
    const files = Object.entries(stamp);
    return files.length > 0 && files.every(([rel, recorded]) => isInsideRoot(rel) && recorded === stampOf(statSync(path.join(dir, rel))));
  } catch {
    return false;
  }
}
