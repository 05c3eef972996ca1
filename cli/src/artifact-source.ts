/**
 * `deploy`/`upgrade` take a built component (`.wasm`), an agent project directory, which is built
 * first with the build library — the same as `caxton build <dir>` followed by a deploy — or an OCI
 * reference (`oci://<registry>/<repository>[:tag][@sha256:…]`, decision 2172), pulled and checked
 * against its digests first.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { CliError, UsageError } from './cli-error.js';
import type { CommandContext } from './context.js';
import { EXIT } from './exit-codes.js';
import { recordedLanguage } from './artifact-language.js';
import { ARTIFACT_LIMIT_TABLE } from '@caxton/core';
import { isOciReference } from './oci/reference.js';

/** Relative to the working directory when inside it, absolute otherwise. */
export function displayPath(cwd: string, file: string): string {
  const rel = path.relative(cwd, file);
  return rel === '' || rel.startsWith('..') || path.isAbsolute(rel) ? file : rel;
}

/** `\0asm`: every WebAssembly binary (core module or component) starts with it. */
const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];

export interface LoadedArtifact {
  bytes: Uint8Array;
  /** The file it was read from, or the OCI reference (`oci://…`) it was pulled from. */
  path: string;
  /** How to show where it came from: the path relative to the working directory, or the reference. */
  display: string;
  /** The DSSE envelope that came with it (an OCI artifact's annotation); absent: look beside the file. */
  signatureEnvelope?: string;
  /** Deployment name suggested by the file name (`build/echo.wasm` → `echo`). */
  suggestedName: string;
  /** Source language `caxton build` recorded for exactly these bytes; absent: unknown. */
  language?: string;
}

type BuildModule = typeof import('@caxton/toolchain');

/** Loaded on demand: the toolchains are heavy and most commands never build. */
async function buildLibrary(): Promise<BuildModule> {
  return import('@caxton/toolchain');
}

export async function buildProject(
  ctx: CommandContext,
  dir: string,
  opts: { optimize?: boolean; outDir?: string; language?: string } = {},
) {
  const { buildAgent, AGENT_LANGUAGES } = await buildLibrary();
  const language = opts.language === undefined ? undefined : AGENT_LANGUAGES.find((l) => l === opts.language);
  if (opts.language !== undefined && language === undefined) {
    throw new UsageError(`--lang ${opts.language} is not a language caxton builds`, `choose from ${AGENT_LANGUAGES.join(', ')}`);
  }
  return buildAgent(dir, {
    reuse: true,
    ...(language ? { language } : {}),
    ...(opts.optimize === undefined ? {} : { optimize: opts.optimize }),
    ...(opts.outDir ? { outDir: path.resolve(ctx.io.cwd, opts.outDir) } : {}),
    // Build steps go to stderr so `caxton deploy --json` output stays parseable.
    onProgress: (p) => ctx.note(`build: ${p.message}`),
  });
}

export interface ArtifactSourceOptions {
  /** `--registry-token-file`, for an OCI reference. */
  registryTokenFile?: string;
}

export async function loadArtifact(ctx: CommandContext, source: string, o: ArtifactSourceOptions = {}): Promise<LoadedArtifact> {
  if (isOciReference(source)) return pullArtifact(ctx, source, o);
  const full = path.resolve(ctx.io.cwd, source);
  let info;
  try {
    info = await stat(full);
  } catch {
    throw new UsageError(`${source} does not exist`, 'give a .wasm component or an agent project directory');
  }
  let file = full;
  let builtLanguage: string | undefined;
  if (info.isDirectory()) {
    const built = await buildProject(ctx, full);
    ctx.note(
      `built ${displayPath(ctx.io.cwd, built.artifactPath)} (${built.language}, ${built.bytes} bytes${built.reused ? ', up to date' : ''})`,
    );
    file = built.artifactPath;
    builtLanguage = built.language;
  }
  // A device or a FIFO given as a component would be read without end (or block for ever); a file
  // past the largest component any node accepts is refused before it is read.
  const fileInfo = file === full ? info : await stat(file);
  if (!fileInfo.isFile()) throw new UsageError(`${source} is not a regular file`, 'give a .wasm component or an agent project directory');
  if (fileInfo.size > ARTIFACT_LIMIT_TABLE.maxArtifactBytes.ceiling) {
    throw new UsageError(
      `${source} is ${fileInfo.size} bytes, more than any node accepts (${ARTIFACT_LIMIT_TABLE.maxArtifactBytes.ceiling})`,
      'is it the component? a .wasm agent is usually well under a few MiB',
    );
  }
  const bytes = await readFile(file);
  if (bytes.length < 8 || WASM_MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new CliError(
      EXIT.USAGE,
      `${source} is not a WebAssembly file`,
      'build the agent first (`caxton build <dir>`) or pass its project directory',
    );
  }
  const language = builtLanguage ?? (await recordedLanguage(file, bytes));
  return {
    bytes,
    path: file,
    display: displayPath(ctx.io.cwd, file),
    suggestedName: path.basename(file).replace(/\.wasm$/i, ''),
    ...(language ? { language } : {}),
  };
}

/** An OCI reference's component, pulled and checked (digests, layout, size) before anything is sent. */
async function pullArtifact(ctx: CommandContext, source: string, o: ArtifactSourceOptions): Promise<LoadedArtifact> {
  const { openRegistryClient, parseOciReference, LANGUAGE_ANNOTATION, SIGNATURE_ANNOTATION } = await import('./oci/index.js');
  const ref = parseOciReference(source);
  const client = await openRegistryClient(ref, {
    env: ctx.io.env,
    cwd: ctx.io.cwd,
    ...(o.registryTokenFile !== undefined ? { tokenFile: o.registryTokenFile } : {}),
    note: (text) => ctx.note(text),
    cache: true,
  });
  const pulled = await client.pull(ARTIFACT_LIMIT_TABLE.maxArtifactBytes.ceiling);
  const bytes = pulled.component;
  if (bytes.length < 8 || WASM_MAGIC.some((b, i) => bytes[i] !== b))
    throw new CliError(
      EXIT.FAILURE,
      `${ref.text} holds no WebAssembly component`,
      'push the agent with `caxton push <dir|wasm> <reference>`',
    );
  const language = pulled.annotations[LANGUAGE_ANNOTATION];
  const signature = pulled.annotations[SIGNATURE_ANNOTATION];
  return {
    bytes,
    path: `oci://${ref.text}`,
    // Shown with the digest it resolved to: a tag moves, the digest names exactly what was deployed.
    display: `oci://${ref.digest !== undefined ? ref.text : `${ref.text}@${pulled.manifestDigest}`}`,
    suggestedName: ref.repository.slice(ref.repository.lastIndexOf('/') + 1),
    ...(language !== undefined && language !== '' ? { language } : {}),
    ...(signature !== undefined ? { signatureEnvelope: signature } : {}),
  };
}
