/**
 * Where a registry's credentials come from (decision 2172), read once per command: the Docker
 * config file — `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`, its `auths` entry for the
 * registry (`auth`: base64 `user:password`, or `username`/`password`), what `docker login` and
 * `oras login` write — or `--registry-token-file`, a bearer token sent as it is. Credential helpers
 * (`credsStore`, `credHelpers`) are not run: a registry only they know is refused with a hint.
 */
import { readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { OciError } from './errors.js';

export type Credentials = { kind: 'basic'; username: string; password: string } | { kind: 'bearer'; token: string } | { kind: 'none' };

/** Bounds what is read of a credentials file before parsing it. */
const MAX_FILE_BYTES = 1024 * 1024;

export interface CredentialSources {
  /** `--registry-token-file`. */
  tokenFile?: string;
  env: Readonly<Record<string, string | undefined>>;
  homedir?: string;
}

export async function credentialsFor(registry: string, o: CredentialSources): Promise<Credentials> {
  if (o.tokenFile !== undefined) {
    // A secret readable by every user of the machine is refused, as the API's token files are.
    const mode = (await stat(o.tokenFile)).mode;
    if ((mode & 0o004) !== 0)
      throw new OciError('oci.credentials', `${o.tokenFile} is readable by every user of this machine`, {
        context: { file: o.tokenFile, mode: (mode & 0o777).toString(8) },
        hint: `chmod 600 ${o.tokenFile}`,
      });
    const token = (await readBounded(o.tokenFile, '--registry-token-file')).trim();
    if (token === '' || /\s/.test(token))
      throw new OciError('oci.credentials', `${o.tokenFile} holds no token (empty, or more than one word)`, {
        context: { file: o.tokenFile },
        hint: 'write the registry token alone in the file',
      });
    return { kind: 'bearer', token };
  }
  const dir = o.env.DOCKER_CONFIG ?? path.join(o.homedir ?? os.homedir(), '.docker');
  const file = path.join(dir, 'config.json');
  let text: string;
  try {
    text = await readBounded(file, 'the Docker config file');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
    throw err;
  }
  let config: {
    auths?: Record<string, { auth?: unknown; username?: unknown; password?: unknown }>;
    credsStore?: unknown;
    credHelpers?: unknown;
  };
  try {
    config = JSON.parse(text) as typeof config;
  } catch {
    throw new OciError('oci.credentials', `${file} is not JSON`, {
      context: { file },
      hint: 'fix or remove the file (docker login / oras login write it)',
    });
  }
  const entry = Object.entries(config.auths ?? {}).find(([key]) => hostOf(key) === registry)?.[1];
  if (entry !== undefined) {
    if (typeof entry.auth === 'string' && entry.auth !== '') {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon <= 0)
        throw new OciError('oci.credentials', `the ${registry} entry of ${file} is not base64 "user:password"`, {
          context: { file, registry },
          hint: `log in again (docker login ${registry})`,
        });
      return { kind: 'basic', username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
    if (typeof entry.username === 'string' && typeof entry.password === 'string')
      return { kind: 'basic', username: entry.username, password: entry.password };
  }
  const helper =
    (typeof config.credHelpers === 'object' && config.credHelpers !== null && registry in config.credHelpers) ||
    (entry !== undefined && typeof config.credsStore === 'string');
  if (helper)
    throw new OciError(
      'oci.credentials',
      `the credentials for ${registry} are kept by a Docker credential helper, which caxton does not run`,
      {
        context: { file, registry },
        hint: 'give them with --registry-token-file, or log in with a config that stores them in the file (DOCKER_CONFIG=<dir> docker login)',
      },
    );
  return { kind: 'none' };
}

/** `https://registry.example.com/v1/` and `registry.example.com` name the same registry. */
function hostOf(key: string): string {
  return key
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/\/.*$/, '')
    .toLowerCase();
}

/** The file's text, refused before it is read when it is not a regular file or past the bound. */
async function readBounded(file: string, what: string): Promise<string> {
  const info = await stat(file);
  if (!info.isFile() || info.size > MAX_FILE_BYTES)
    throw new OciError(
      'oci.credentials',
      `${what} ${file} is not a credentials file (${info.isFile() ? `${info.size} bytes` : 'not a regular file'})`,
      {
        context: { file },
        hint: 'name the right file',
      },
    );
  return (await readFile(file)).toString('utf8');
}
