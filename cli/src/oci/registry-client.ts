/**
 * A small client of the OCI distribution protocol on Node's `fetch` (decision 2172): what `caxton
 * push` and `deploy oci://…` need and nothing more — the 401 → credentials or token → retry exchange,
 * monolithic blob upload, manifest put and get, blob get. Every read is bounded before it is read and
 * checked against its digest after; nothing a registry answers is trusted for its size or content.
 *
 * HTTPS, except for a registry on the loopback interface (localhost, 127.0.0.0/8, ::1), which is
 * spoken to in plain HTTP, as Docker does by default; a private CA is given to Node the usual way
 * (NODE_EXTRA_CA_CERTS). Credentials go only to the registry and to the token realm it names, and
 * a realm must be HTTPS unless it is on the loopback interface too.
 */
import { isLoopbackHost } from '@caxton/core';
import { OciError } from './errors.js';
import { parseChallenge } from './challenge.js';
import type { Credentials } from './credentials.js';
import type { BlobCache } from './blob-cache.js';
import type { OciReference } from './reference.js';
import {
  MANIFEST_MEDIA_TYPE,
  MAX_CONFIG_BYTES,
  MAX_MANIFEST_BYTES,
  readWasmManifest,
  sha256Digest,
  wasmArtifact,
  type Descriptor,
} from './layout.js';

export interface RegistryClientOptions {
  credentials: Credentials;
  /** Each request's time at most (ms). Default 60 s. */
  timeoutMs?: number;
  /** One line per step, for stderr. */
  note?: (text: string) => void;
  /** Pulled components kept by digest (absent: none kept). */
  cache?: BlobCache;
}

export interface Pushed {
  /** The manifest's digest: `<registry>/<repository>@<digest>` names exactly this. */
  digest: string;
  /** The component's digest and size. */
  component: { digest: string; size: number };
  /** Blobs the registry had already (not sent again). */
  reused: number;
}

export interface Pulled {
  component: Uint8Array;
  manifestDigest: string;
  annotations: Record<string, string>;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const ACCEPT_MANIFESTS = [
  MANIFEST_MEDIA_TYPE,
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

/** `host` or `host:port` (a bracketed IPv6 literal too) on the loopback interface: core's one test (issue 26). */
function isLoopback(hostPort: string): boolean {
  return isLoopbackHost(hostPort.replace(/:\d+$/, ''));
}

export class OciRegistryClient {
  private readonly base: string;
  private authorization: string | undefined;
  private readonly timeoutMs: number;

  constructor(
    private readonly ref: OciReference,
    private readonly o: RegistryClientOptions,
  ) {
    // The normalised origin (`:443` dropped, an IPv6 literal canonical): what a Location is compared with.
    this.base = new URL(`${isLoopback(ref.registry) ? 'http' : 'https'}://${ref.registry}`).origin;
    this.timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (o.credentials.kind === 'bearer') this.authorization = `Bearer ${o.credentials.token}`;
  }

  /** Push `component` (whole bytes) under the reference's tag, the layer annotated; a reference naming a digest is refused. */
  async push(component: Uint8Array, meta: { title: string; signature?: string; language?: string }): Promise<Pushed> {
    if (this.ref.digest !== undefined)
      throw new OciError('oci.invalid-reference', `${this.ref.text} names a digest: a push goes to a tag`, {
        context: { reference: this.ref.text },
        hint: 'push to <registry>/<repository>:<tag>: the registry gives the digest',
      });
    const artifact = wasmArtifact(component, meta);
    let reused = 0;
    for (const [descriptor, bytes] of [
      [artifact.layerDescriptor, component],
      [artifact.configDescriptor, artifact.config],
    ] as const) {
      if (await this.hasBlob(descriptor.digest)) {
        reused++;
        this.o.note?.(`blob ${descriptor.digest.slice(7, 19)} is in ${this.ref.registry} already`);
        continue;
      }
      await this.uploadBlob(descriptor, bytes);
      this.o.note?.(`pushed blob ${descriptor.digest.slice(7, 19)} (${bytes.length} bytes)`);
    }
    const res = await this.request('PUT', `manifests/${this.ref.reference}`, {
      headers: { 'content-type': MANIFEST_MEDIA_TYPE },
      body: artifact.manifest,
      scope: 'pull,push',
    });
    await this.expect(res, [201], `put the manifest of ${this.ref.text}`);
    const said = res.headers.get('docker-content-digest');
    if (said !== null && said !== artifact.manifestDigest) throw this.mismatch('manifest', artifact.manifestDigest, said);
    return { digest: artifact.manifestDigest, component: { digest: artifact.layerDescriptor.digest, size: component.length }, reused };
  }

  /** Pull the component the reference names, every byte checked against the digests that name it. */
  async pull(maxComponentBytes: number): Promise<Pulled> {
    const res = await this.request('GET', `manifests/${this.ref.reference}`, { headers: { accept: ACCEPT_MANIFESTS }, scope: 'pull' });
    await this.expect(res, [200], `get the manifest of ${this.ref.text}`);
    const manifest = await this.body(res, MAX_MANIFEST_BYTES, 'manifest');
    const manifestDigest = sha256Digest(manifest);
    if (this.ref.digest !== undefined && manifestDigest !== this.ref.digest)
      throw this.mismatch('manifest', this.ref.digest, manifestDigest);
    const said = res.headers.get('docker-content-digest');
    if (this.ref.digest === undefined && said !== null && said !== manifestDigest) throw this.mismatch('manifest', said, manifestDigest);
    const { config, layer } = readWasmManifest(manifest, maxComponentBytes, this.ref.text);
    await this.blob(config, MAX_CONFIG_BYTES);
    const cached = await this.o.cache?.get(layer.digest, layer.size);
    if (cached !== undefined)
      this.o.note?.(`component ${layer.digest.slice(7, 19)} read from the local cache (checked against its digest)`);
    const component = cached ?? (await this.blob(layer, maxComponentBytes));
    if (cached === undefined)
      await this.o.cache
        ?.put(layer.digest, component)
        .catch((err: unknown) => this.o.note?.(`not kept in the local cache: ${(err as Error).message}`));
    this.o.note?.(`pulled ${this.ref.text} (${manifestDigest}, component ${component.length} bytes)`);
    return { component, manifestDigest, annotations: layer.annotations ?? {} };
  }

  // ---- blobs ----

  private async hasBlob(digest: string): Promise<boolean> {
    const res = await this.request('HEAD', `blobs/${digest}`, { scope: 'pull,push' });
    // A redirect to the storage (S3, GCS: Distribution's default there) says the blob is present.
    if (res.status === 200 || (res.status >= 301 && res.status <= 308 && res.headers.get('location') !== null)) return true;
    if (res.status === 404) return false;
    await this.expect(res, [200, 404], `look for blob ${digest}`);
    return false;
  }

  private async uploadBlob(d: Descriptor, bytes: Uint8Array): Promise<void> {
    const started = await this.request('POST', 'blobs/uploads/', { scope: 'pull,push', headers: { 'content-length': '0' } });
    await this.expect(started, [202], `start the upload of blob ${d.digest}`);
    const location = started.headers.get('location');
    if (location === null) throw this.protocol(`its answer to an upload's start has no Location`);
    const url = new URL(location, `${this.base}/`);
    if (url.origin !== this.base) throw this.protocol(`it sent the upload to another origin (${url.origin})`);
    url.searchParams.set('digest', d.digest);
    const put = await this.request('PUT', url.toString(), {
      scope: 'pull,push',
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) },
      body: bytes,
    });
    await this.expect(put, [201], `upload blob ${d.digest}`);
  }

  private async blob(d: Descriptor, max: number): Promise<Uint8Array> {
    if (d.size > max) throw this.protocol(`a blob of ${d.size} bytes is listed, at most ${max} are read`);
    const res = await this.request('GET', `blobs/${d.digest}`, { scope: 'pull' });
    await this.expect(res, [200], `get blob ${d.digest}`);
    const bytes = await this.body(res, d.size, `blob ${d.digest}`, true);
    if (bytes.length !== d.size) throw this.mismatch(`blob size (${d.digest})`, String(d.size), String(bytes.length));
    const got = sha256Digest(bytes);
    if (got !== d.digest) throw this.mismatch('blob', d.digest, got);
    return bytes;
  }

  // ---- HTTP, auth ----

  private async request(
    method: string,
    pathOrUrl: string,
    o: { headers?: Record<string, string>; body?: Uint8Array; scope: 'pull' | 'pull,push' },
  ): Promise<Response> {
    const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${this.base}/v2/${this.ref.repository}/${pathOrUrl}`;
    const send = (): Promise<Response> =>
      this.fetch(url, {
        method,
        headers: { ...o.headers, ...(this.authorization !== undefined ? { authorization: this.authorization } : {}) },
        ...(o.body !== undefined ? { body: o.body } : {}),
        redirect: method === 'GET' ? 'follow' : 'manual',
      });
    let res = await send();
    if (res.status !== 401) return res;
    await res.body?.cancel();
    // Only the registry's own challenge is answered: a 401 from where a GET was redirected (a
    // storage host) naming a realm of its choosing would otherwise be sent the credentials.
    if (res.url !== '' && new URL(res.url).origin !== this.base)
      throw this.unauthorized(
        `a request it redirected to ${new URL(res.url).origin} was refused (401); credentials go to the registry only`,
      );
    await this.authenticate(res.headers.get('www-authenticate'), o.scope);
    res = await send();
    if (res.status === 401) {
      await res.body?.cancel();
      throw this.unauthorized('the registry refused the credentials');
    }
    return res;
  }

  private async authenticate(header: string | null, scope: 'pull' | 'pull,push'): Promise<void> {
    const creds = this.o.credentials;
    const challenge = parseChallenge(header);
    if (challenge === undefined)
      throw this.unauthorized(`it answered 401 with no challenge caxton can read (${(header ?? 'none').slice(0, 120)})`);
    if (challenge.scheme === 'basic') {
      if (creds.kind !== 'basic') throw this.unauthorized('it asks for a user name and password, and none was found for it');
      this.authorization = basic(creds.username, creds.password);
      return;
    }
    if (creds.kind === 'bearer' && this.authorization === `Bearer ${creds.token}`)
      throw this.unauthorized('it refused the token of --registry-token-file');
    const realm = challenge.params.realm;
    if (realm === undefined) throw this.unauthorized('its token challenge names no realm');
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw this.unauthorized(`its token realm ${realm.slice(0, 120)} is not a URL`);
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.host)))
      throw this.unauthorized(`its token realm ${url.origin} is not HTTPS (credentials are not sent in the clear)`);
    if (challenge.params.service !== undefined) url.searchParams.set('service', challenge.params.service);
    url.searchParams.set('scope', challenge.params.scope ?? `repository:${this.ref.repository}:${scope}`);
    const res = await this.fetch(url.toString(), {
      method: 'GET',
      headers: creds.kind === 'basic' ? { authorization: basic(creds.username, creds.password) } : {},
      redirect: 'manual',
    });
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      throw this.unauthorized(
        `its token service refused ${creds.kind === 'basic' ? `the credentials of ${creds.username}` : 'an anonymous request'}`,
      );
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      throw this.protocol(`its token service answered ${res.status}`);
    }
    let token: unknown;
    try {
      const doc = JSON.parse(Buffer.from(await this.body(res, 64 * 1024, 'token')).toString('utf8')) as Record<string, unknown>;
      token = doc.token ?? doc.access_token;
    } catch {
      throw this.protocol('its token service answered something that is not JSON');
    }
    if (typeof token !== 'string' || token === '' || /\s/.test(token)) throw this.protocol('its token service answered no token');
    this.authorization = `Bearer ${token}`;
  }

  /**
   * One request, aborted when nothing arrives for `timeoutMs`: until the answer's headers, then
   * between two chunks of its body (a large component on a slow link is not cut at a total deadline).
   * A failure while its body is read is the registry's too (`oci.unreachable`), typed.
   */
  private async fetch(url: string, init: RequestInit): Promise<Response> {
    const abort = new AbortController();
    let idle: NodeJS.Timeout | undefined;
    const arm = (): void => {
      clearTimeout(idle);
      idle = setTimeout(() => abort.abort(new IdleTimeout(this.timeoutMs)), this.timeoutMs);
      idle.unref();
    };
    arm();
    let res: Response;
    try {
      res = await fetch(url, { ...init, signal: abort.signal });
    } catch (err) {
      clearTimeout(idle);
      throw this.unreachable(url, err);
    }
    if (res.body === null) {
      clearTimeout(idle);
      return res;
    }
    const reader = res.body.getReader();
    const body = new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        try {
          const { done, value } = await reader.read();
          if (done) {
            clearTimeout(idle);
            controller.close();
          } else {
            arm();
            controller.enqueue(value);
          }
        } catch (err) {
          clearTimeout(idle);
          controller.error(this.unreachable(url, err));
        }
      },
      cancel: async (reason) => {
        clearTimeout(idle);
        await reader.cancel(reason);
      },
    });
    // The same answer, its body read through the stream above.
    return new Proxy(res, { get: (target, prop) => (prop === 'body' ? body : Reflect.get(target, prop, target)) });
  }

  private unreachable(url: string, err: unknown): OciError {
    if (err instanceof OciError) return err;
    const cause = (err as { cause?: unknown }).cause as { code?: string; message?: string } | undefined;
    const why =
      err instanceof IdleTimeout || cause instanceof IdleTimeout
        ? `nothing arrived for ${this.timeoutMs} ms`
        : (cause?.code ?? cause?.message ?? (err as Error).message);
    return new OciError('oci.unreachable', `cannot reach the registry ${this.ref.registry}: ${why}`, {
      context: { registry: this.ref.registry, url: url.slice(0, 200) },
      cause: err,
      hint: isLoopback(this.ref.registry)
        ? 'is the registry running on this machine, on that port?'
        : 'check the host name and port, the network, and that it serves HTTPS with a certificate Node trusts (NODE_EXTRA_CA_CERTS for a private CA)',
    });
  }

  /**
   * The body, refused as soon as it passes `max` bytes (a registry's sizes are not trusted). `exact`:
   * a blob whose size the manifest gives, read into one buffer of that size (no second copy).
   */
  private async body(res: Response, max: number, what: string, exact = false): Promise<Uint8Array> {
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (Number.isFinite(declared) && declared > max) {
      await res.body?.cancel();
      throw this.protocol(`its ${what} is ${declared} bytes, at most ${max} are read`);
    }
    const out = exact ? Buffer.allocUnsafe(max) : undefined;
    const chunks: Uint8Array[] = [];
    let total = 0;
    if (res.body !== null) {
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        if (total + chunk.length > max) {
          await res.body.cancel().catch(() => {});
          throw this.protocol(`its ${what} runs past ${max} bytes`);
        }
        if (out !== undefined) out.set(chunk, total);
        else chunks.push(chunk);
        total += chunk.length;
      }
    }
    return out !== undefined ? out.subarray(0, total) : Buffer.concat(chunks, total);
  }

  private async expect(res: Response, ok: readonly number[], doing: string): Promise<void> {
    if (ok.includes(res.status)) return;
    const text = res.status === 404 || res.status >= 400 ? await this.errorText(res) : '';
    if (res.status === 404)
      throw new OciError('oci.not-found', `${this.ref.text}: cannot ${doing}: not found${text}`, {
        context: { reference: this.ref.text, status: 404 },
        hint: 'check the repository, tag or digest (a digest names a manifest exactly; `caxton push` prints it)',
      });
    if (res.status === 403) throw this.unauthorized(`it denied the request to ${doing}${text}`);
    throw new OciError('oci.protocol', `${this.ref.registry} answered ${res.status} when asked to ${doing}${text}`, {
      context: { reference: this.ref.text, status: res.status },
      hint:
        res.status >= 500 || res.status === 429
          ? 'the registry is failing or busy: try again later'
          : 'the registry does not speak the OCI distribution protocol as expected',
    });
  }

  /** The registry's own error codes (`MANIFEST_UNKNOWN`…), when its body says them; bounded. */
  private async errorText(res: Response): Promise<string> {
    try {
      const doc = JSON.parse(Buffer.from(await this.body(res, 16 * 1024, 'error')).toString('utf8')) as { errors?: { code?: unknown }[] };
      const codes = (doc.errors ?? []).map((e) => String(e.code).slice(0, 40)).slice(0, 3);
      return codes.length > 0 ? ` (${codes.join(', ')})` : '';
    } catch {
      return '';
    }
  }

  private unauthorized(why: string): OciError {
    return new OciError('oci.unauthorized', `${this.ref.registry}: ${why}`, {
      context: { registry: this.ref.registry, reference: this.ref.text },
      hint: `log in (docker login ${this.ref.registry}, or oras login: caxton reads $DOCKER_CONFIG/config.json or ~/.docker/config.json), or give --registry-token-file`,
    });
  }

  private protocol(why: string): OciError {
    return new OciError('oci.protocol', `${this.ref.registry}: ${why}`, {
      context: { registry: this.ref.registry, reference: this.ref.text },
      hint: 'the registry does not speak the OCI distribution protocol as expected',
    });
  }

  private mismatch(what: string, expected: string, got: string): OciError {
    return new OciError(
      'oci.digest-mismatch',
      `${this.ref.text}: the ${what} is not what its digest says (expected ${expected}, got ${got})`,
      {
        context: { reference: this.ref.text, expected, got },
        hint: 'the registry (or something between) served other bytes than were pushed: nothing was deployed; push the component again, and check the registry',
      },
    );
  }
}

function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

/** Why a request was aborted: nothing arrived for the client's timeout. */
class IdleTimeout extends Error {
  constructor(ms: number) {
    super(`nothing arrived for ${ms} ms`);
  }
}
