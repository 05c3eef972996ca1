/**
 * Writing build outputs: `<outDir>/<name>.wasm`, `<name>.wasm.sha256` (sha256sum format, so
 * `sha256sum -c` verifies it) and `<name>.build.json` (what it was built from, for reuse).
 * Files are written to a temporary name and renamed, so a concurrent reader never sees half a file.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AgentLanguage } from './project.js';

export interface BuildManifest {
  name: string;
  language: AgentLanguage;
  sha256: string;
  bytes: number;
  sourceHash: string;
  toolchain: Record<string, string>;
  builtAt: string;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function artifactPaths(outDir: string, name: string): { wasm: string; sha256: string; manifest: string } {
  const wasm = path.join(outDir, `${name}.wasm`);
  return { wasm, sha256: `${wasm}.sha256`, manifest: path.join(outDir, `${name}.build.json`) };
}

async function writeAtomic(file: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, file);
}

export async function writeArtifact(
  outDir: string,
  manifest: Omit<BuildManifest, 'sha256' | 'bytes' | 'builtAt'>,
  component: Uint8Array,
): Promise<BuildManifest> {
  await mkdir(outDir, { recursive: true });
  const paths = artifactPaths(outDir, manifest.name);
  const full: BuildManifest = { ...manifest, sha256: sha256Hex(component), bytes: component.byteLength, builtAt: new Date().toISOString() };
  await writeAtomic(paths.wasm, component);
  await writeAtomic(paths.sha256, `${full.sha256}  ${path.basename(paths.wasm)}\n`);
  await writeAtomic(paths.manifest, `${JSON.stringify(full, null, 2)}\n`);
  return full;
}

/** The previous build's manifest when its artifact is still intact and built from `sourceHash`. */
export function reusableArtifact(outDir: string, name: string, sourceHash: string): BuildManifest | undefined {
  const paths = artifactPaths(outDir, name);
  if (!existsSync(paths.manifest) || !existsSync(paths.wasm)) return undefined;
  let manifest: BuildManifest;
  try {
    manifest = JSON.parse(readFileSync(paths.manifest, 'utf8')) as BuildManifest;
  } catch {
    return undefined;
  }
  if (manifest.sourceHash !== sourceHash) return undefined;
  // Re-hash: someone may have replaced or truncated the artifact since.
  if (sha256Hex(readFileSync(paths.wasm)) !== manifest.sha256) return undefined;
  return manifest;
}
