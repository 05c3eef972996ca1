/**
 * Where signatures live on disk and how an artifact gets one (decision 1400): next to
 * `<dir>/<name>.wasm` the detached signature `<name>.wasm.dsse.json`, a DSSE envelope over an in-toto
 * statement of the artifact's sha256 and its build name (from `<name>.build.json` when `caxton build`
 * wrote one, else the file name), language and an optional version. Deploy and upgrade send it along.
 */
import { createHash } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { AgentStatement } from '@caxton/core';
import { UsageError } from '../cli-error.js';
import { runtimeLibrary } from '../runtime-library.js';

export const SIGNATURE_SUFFIX = '.dsse.json';

export function signatureFileFor(artifactPath: string): string {
  return `${artifactPath}${SIGNATURE_SUFFIX}`;
}

async function buildFacts(artifactPath: string): Promise<{ name: string; language?: string }> {
  const base = path.basename(artifactPath).replace(/\.wasm$/i, '');
  try {
    const manifest = JSON.parse(await readFile(path.join(path.dirname(artifactPath), `${base}.build.json`), 'utf8')) as {
      name?: unknown;
      language?: unknown;
    };
    return {
      name: typeof manifest.name === 'string' ? manifest.name : base,
      ...(typeof manifest.language === 'string' ? { language: manifest.language } : {}),
    };
  } catch {
    return { name: base }; // not built by `caxton build` here: the file name is the name
  }
}

export async function readPrivateKeyFile(keyFile: string): Promise<KeyObject> {
  let pem: string;
  try {
    pem = await readFile(keyFile, 'utf8');
  } catch {
    throw new UsageError(`signing key ${keyFile} cannot be read`, 'make a key pair with `caxton keygen` and pass its .key file');
  }
  const { parsePrivateKey } = await runtimeLibrary();
  return parsePrivateKey(pem, keyFile);
}

export interface SignedArtifact {
  signaturePath: string;
  keyId: string;
  statement: AgentStatement;
}

/** Signs the artifact file as it is on disk now; writes the envelope atomically next to it. */
export async function signArtifactFile(artifactPath: string, keyFile: string, opts: { version?: string } = {}): Promise<SignedArtifact> {
  const key = await readPrivateKeyFile(keyFile);
  let bytes: Buffer;
  try {
    bytes = await readFile(artifactPath);
  } catch {
    throw new UsageError(`${artifactPath} cannot be read`, 'sign a built component (`caxton build` writes build/<name>.wasm)');
  }
  const statement: AgentStatement = {
    sha256: createHash('sha256').update(bytes).digest('hex'),
    ...(await buildFacts(artifactPath)),
    ...(opts.version !== undefined ? { version: opts.version } : {}),
  };
  const { keyIdOf, signStatement } = await runtimeLibrary();
  const envelope = signStatement(statement, key);
  const signaturePath = signatureFileFor(artifactPath);
  const tmp = `${signaturePath}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(envelope, null, 2)}\n`);
  await rename(tmp, signaturePath);
  return { signaturePath, keyId: keyIdOf(createPublicKey(key)), statement };
}

/** The envelope to send with an artifact: `--signature <file>`, else `<artifact>.dsse.json` if present. */
export async function signatureToSend(
  artifactPath: string,
  given: string | undefined,
): Promise<{ envelope: string; file: string } | undefined> {
  const file = given ?? signatureFileFor(artifactPath);
  try {
    return { envelope: (await readFile(file, 'utf8')).trim(), file };
  } catch {
    if (given !== undefined)
      throw new UsageError(`signature ${given} cannot be read`, 'sign the artifact with `caxton sign <artifact> --key <key>`');
    return undefined;
  }
}
