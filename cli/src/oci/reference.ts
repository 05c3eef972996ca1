/**
 * An OCI reference as `caxton push` and `deploy oci://…` take it (decision 2172), parsed once into
 * its parts — pure. `oci://` is optional for push and required where a path could be meant.
 *
 *   [oci://]<registry>[:<port>]/<repository>[:<tag>][@sha256:<64 hex>]
 *
 * The registry is the first path segment and must look like a host (a dot, a port, or `localhost`),
 * so `library/echo` is refused rather than sent to a default registry nobody named. Repository
 * components and the tag follow the distribution spec's grammar; a digest is sha256 only.
 */
import { OciError } from './errors.js';

export interface OciReference {
  /** `host` or `host:port`, as given (lower-cased host). */
  registry: string;
  /** `team/agents/echo`. */
  repository: string;
  tag?: string;
  /** `sha256:<hex>`. */
  digest?: string;
  /** What to send as the manifest's reference: the digest when given, else the tag, else `latest`. */
  reference: string;
  /** The whole reference, normalised: `host/repo:tag@sha256:…`. */
  text: string;
}

export const OCI_SCHEME = 'oci://';

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const HOST = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:]+\])(?::[0-9]{1,5})?$/;
/** The distribution spec's bound on a repository name, with the registry. */
const MAX_REFERENCE = 255 + 128 + 72;

/** Does `text` name an OCI artifact rather than a file (`oci://…`)? */
export function isOciReference(text: string): boolean {
  return text.startsWith(OCI_SCHEME);
}

export function parseOciReference(input: string): OciReference {
  const bad = (why: string): OciError =>
    new OciError('oci.invalid-reference', `${JSON.stringify(input.slice(0, 200))} is not an OCI reference: ${why}`, {
      context: { reference: input.slice(0, 200) },
      hint: 'write <registry>/<repository>[:<tag>][@sha256:<digest>], e.g. oci://registry.example.com/agents/echo:1.0 or localhost:5000/echo@sha256:…',
    });
  if (input.length > MAX_REFERENCE) throw bad(`longer than ${MAX_REFERENCE} characters`);
  let rest = input.startsWith(OCI_SCHEME) ? input.slice(OCI_SCHEME.length) : input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad('the digest must be sha256:<64 lower-case hex digits>');
  }
  const slash = rest.indexOf('/');
  if (slash <= 0) throw bad('no registry host before the repository');
  const registry = rest.slice(0, slash).toLowerCase();
  if (!HOST.test(registry) || !(registry.includes('.') || registry.includes(':') || registry === 'localhost'))
    throw bad(`${JSON.stringify(registry)} is not a registry host (it needs a dot, a port, or to be localhost)`);
  const port = /:(\d+)$/.exec(registry)?.[1];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) throw bad(`port ${port} is not 1..65535`);
  let path = rest.slice(slash + 1);
  let tag: string | undefined;
  const colon = path.lastIndexOf(':');
  if (colon >= 0) {
    tag = path.slice(colon + 1);
    path = path.slice(0, colon);
    if (!TAG.test(tag)) throw bad(`${JSON.stringify(tag)} is not a tag (letters, digits, _ . -, at most 128, not starting with . or -)`);
  }
  const parts = path.split('/');
  if (path === '' || parts.some((p) => !COMPONENT.test(p)))
    throw bad('the repository must be lower-case path components (a-z 0-9, separated by . _ __ or -)');
  const reference = digest ?? tag ?? 'latest';
  const text = `${registry}/${path}${tag !== undefined ? `:${tag}` : ''}${digest !== undefined ? `@${digest}` : ''}`;
  return {
    registry,
    repository: path,
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {}),
    reference,
    text,
  };
}
