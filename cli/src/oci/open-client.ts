/**
 * A registry client as a command opens one (decision 2172): the credentials for the reference's
 * registry (`--registry-token-file` relative to the command's directory, else the Docker config
 * file), progress lines to the command's notes, and — for a pull — the local cache of components.
 * One definition for `caxton push` and for the `oci://` sources of deploy, upgrade and apply.
 */
import path from 'node:path';
import { BlobCache } from './blob-cache.js';
import { credentialsFor } from './credentials.js';
import type { OciReference } from './reference.js';
import { OciRegistryClient } from './registry-client.js';

export interface OpenRegistryClient {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  tokenFile?: string;
  note: (text: string) => void;
  /** Keep pulled components by digest (a pull's; a push reads none). */
  cache: boolean;
}

export async function openRegistryClient(ref: OciReference, o: OpenRegistryClient): Promise<OciRegistryClient> {
  const credentials = await credentialsFor(ref.registry, {
    env: o.env,
    ...(o.tokenFile !== undefined ? { tokenFile: path.resolve(o.cwd, o.tokenFile) } : {}),
  });
  return new OciRegistryClient(ref, { credentials, note: o.note, ...(o.cache ? { cache: BlobCache.from(o.env, o.cwd) } : {}) });
}
