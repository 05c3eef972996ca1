/**
 * The source language `caxton build` recorded next to an artifact (`<dir>/<name>.build.json` for
 * `<dir>/<name>.wasm`), which deploy/upgrade send along as a label for the CLI and console.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';

/** `build/echo.wasm` → `build/echo.build.json`; undefined for a file not named `*.wasm`. */
export function buildManifestPath(artifactPath: string): string | undefined {
  return /\.wasm$/i.test(artifactPath) ? artifactPath.replace(/\.wasm$/i, '.build.json') : undefined;
}

/**
 * The manifest's language when it describes exactly these bytes: a manifest left over from an
 * older build (its sha256 differs) says nothing about this artifact, so it is ignored.
 */
export function languageFromManifest(manifestJson: string, bytes: Uint8Array): string | undefined {
  let manifest: unknown;
  try {
    manifest = JSON.parse(manifestJson);
  } catch {
    return undefined;
  }
  if (typeof manifest !== 'object' || manifest === null) return undefined;
  const { language, sha256 } = manifest as { language?: unknown; sha256?: unknown };
  if (typeof language !== 'string' || language === '') return undefined;
  if (typeof sha256 !== 'string' || sha256 !== createHash('sha256').update(bytes).digest('hex')) return undefined;
  return language;
}

/** Reads the language beside an artifact; undefined when there is no usable manifest. */
export async function recordedLanguage(artifactPath: string, bytes: Uint8Array): Promise<string | undefined> {
  const manifest = buildManifestPath(artifactPath);
  if (manifest === undefined) return undefined;
  try {
    return languageFromManifest(await readFile(manifest, 'utf8'), bytes);
  } catch {
    return undefined; // no manifest: a component built by other tools
  }
}
