/**
 * The pure parts of `caxton push` and `deploy oci://…` (decision 2172): references parsed once and
 * refused typed (no default registry guessed), `WWW-Authenticate` challenges read, the Wasm
 * artifact's manifest built and every field of a pulled one checked before anything is fetched,
 * and the credentials found in a Docker config file.
 */
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  LANGUAGE_ANNOTATION,
  OciError,
  SIGNATURE_ANNOTATION,
  credentialsFor,
  ociExitCode,
  parseChallenge,
  parseOciReference,
  readWasmManifest,
  wasmArtifact,
} from '../src/oci/index.js';
import { EXIT } from '../src/exit-codes.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const refused = (text: string): OciError => {
  try {
    parseOciReference(text);
  } catch (err) {
    assert.ok(err instanceof OciError && err.code === 'oci.invalid-reference', String(err));
    return err;
  }
  assert.fail(`${text} was accepted`);
};

describe('OCI references', () => {
  it('reads registry, repository, tag and digest; the reference sent is the digest, else the tag, else latest', () => {
    assert.deepEqual(parseOciReference('oci://registry.example.com/agents/echo:1.0'), {
      registry: 'registry.example.com',
      repository: 'agents/echo',
      tag: '1.0',
      reference: '1.0',
      text: 'registry.example.com/agents/echo:1.0',
    });
    const pinned = parseOciReference(`localhost:5000/echo:dev@${DIGEST}`);
    assert.deepEqual(
      [pinned.registry, pinned.repository, pinned.tag, pinned.digest, pinned.reference],
      ['localhost:5000', 'echo', 'dev', DIGEST, DIGEST],
    );
    assert.equal(parseOciReference('127.0.0.1:5000/a/b/c').reference, 'latest');
    assert.equal(parseOciReference('Registry.Example.com/x').registry, 'registry.example.com', 'the host is case-insensitive');
  });

  it('refuses what is not one, typed, before anything is read: no registry host, bad repository, tag or digest, too long', () => {
    assert.match(refused('library/echo').message, /is not a registry host/);
    assert.match(refused('echo').message, /no registry host/);
    assert.match(refused('oci://registry.example.com/Agents/Echo').message, /lower-case path components/);
    assert.match(refused('registry.example.com/echo:-bad').message, /is not a tag/);
    assert.match(refused('registry.example.com/echo@sha256:abc').message, /the digest must be/);
    assert.match(refused('registry.example.com/echo@md5:00').message, /the digest must be/);
    assert.match(refused(`registry.example.com/${'a'.repeat(500)}`).message, /longer than/);
    assert.match(refused('registry.example.com:70000/echo').message, /port 70000 is not 1\.\.65535/);
    assert.match(refused('registry.example.com/').message, /lower-case path components/);
    assert.equal(ociExitCode('oci.invalid-reference'), EXIT.USAGE);
    assert.equal(ociExitCode('oci.unauthorized'), EXIT.AUTH);
    assert.equal(ociExitCode('oci.unreachable'), EXIT.UNAVAILABLE);
    assert.equal(ociExitCode('oci.not-found'), EXIT.NOT_FOUND);
    assert.equal(ociExitCode('agent.conflict'), undefined);
  });
});

describe('WWW-Authenticate challenges', () => {
  it('reads Basic and Bearer with quoted and bare parameters', () => {
    const basic = parseChallenge('Basic realm="caxton-test"')!;
    assert.deepEqual([basic.scheme, { ...basic.params }], ['basic', { realm: 'caxton-test' }]);
    const bearer = parseChallenge(
      'Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull,push"',
    );
    assert.deepEqual(
      { ...bearer!.params },
      {
        realm: 'https://auth.example.com/token',
        service: 'registry.example.com',
        scope: 'repository:a/b:pull,push',
      },
    );
    assert.equal(parseChallenge('bearer realm=x')!.params.realm, 'x');
  });

  it('gives up on what it cannot read (the 401 is reported as it came)', () => {
    assert.equal(parseChallenge(null), undefined);
    assert.equal(parseChallenge('Negotiate abc'), undefined);
    assert.equal(parseChallenge('Bearer realm="unterminated'), undefined);
  });
});

describe('the Wasm artifact layout', () => {
  const component = Buffer.from('\0asm\x0d\0\x01\0 a component', 'latin1');

  it('one application/wasm layer under a Wasm config, annotated with the signature and language; read back the same', () => {
    const a = wasmArtifact(component, { title: 'echo.wasm', signature: '{"payload":"x"}', language: 'rust' });
    const read = readWasmManifest(a.manifest, 1024, 'r/echo');
    assert.equal(read.config.mediaType, 'application/vnd.wasm.config.v0+json');
    assert.deepEqual(
      [read.layer.mediaType, read.layer.digest, read.layer.size],
      ['application/wasm', a.layerDescriptor.digest, component.length],
    );
    assert.equal(read.layer.annotations?.[SIGNATURE_ANNOTATION], '{"payload":"x"}');
    assert.equal(read.layer.annotations?.[LANGUAGE_ANNOTATION], 'rust');
    assert.equal(JSON.parse(a.config.toString()).architecture, 'wasm');
    assert.equal(
      wasmArtifact(component, { title: 'echo.wasm' }).manifestDigest,
      wasmArtifact(component, { title: 'echo.wasm' }).manifestDigest,
      'the same bytes, the same digest',
    );
  });

  it('refuses, before fetching a blob: another kind of image, an index, bad fields, a component past the bound', () => {
    const code = (bytes: string | Uint8Array, max = 1024): string => {
      try {
        readWasmManifest(typeof bytes === 'string' ? Buffer.from(bytes) : bytes, max, 'r/x');
      } catch (err) {
        return (err as OciError).code;
      }
      return 'accepted';
    };
    const desc = (mediaType: string, size = 10) => ({ mediaType, digest: DIGEST, size });
    const manifest = (o: Record<string, unknown>) =>
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: desc('application/vnd.wasm.config.v0+json'),
        layers: [desc('application/wasm')],
        ...o,
      });
    assert.equal(code(manifest({})), 'accepted');
    assert.equal(code(manifest({ config: desc('application/vnd.oci.image.config.v1+json') })), 'oci.not-a-component');
    assert.equal(code(manifest({ layers: [desc('application/wasm'), desc('application/wasm')] })), 'oci.not-a-component');
    assert.equal(code(manifest({ mediaType: 'application/vnd.oci.image.index.v1+json' })), 'oci.not-a-component');
    assert.equal(code(manifest({ layers: [desc('application/wasm', 4096)] })), 'oci.too-large');
    assert.equal(code(manifest({ layers: [{ mediaType: 'application/wasm', digest: 'sha256:zz', size: 1 }] })), 'oci.protocol');
    assert.equal(code(manifest({ layers: [{ ...desc('application/wasm'), size: -1 }] })), 'oci.protocol');
    assert.equal(code(manifest({ schemaVersion: 1 })), 'oci.protocol');
    assert.equal(code('not json'), 'oci.protocol');
    assert.equal(code(manifest({ layers: [{ ...desc('application/wasm'), annotations: { a: 1 } }] })), 'oci.protocol');
  });
});

describe('registry credentials', () => {
  it('from the Docker config file: auth or username/password, by host with or without a scheme; none when absent', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-oci-creds-'));
    try {
      const env = { DOCKER_CONFIG: dir };
      assert.deepEqual(await credentialsFor('localhost:5000', { env }), { kind: 'none' }, 'no file: anonymous');
      await writeFile(
        path.join(dir, 'config.json'),
        JSON.stringify({
          auths: {
            'localhost:5000': { auth: Buffer.from('ci:s3cret:with-colon').toString('base64') },
            'https://registry.example.com/v1/': { username: 'u', password: 'p' },
          },
          credHelpers: { 'helped.example.com': 'secretservice' },
        }),
      );
      assert.deepEqual(await credentialsFor('localhost:5000', { env }), { kind: 'basic', username: 'ci', password: 's3cret:with-colon' });
      assert.deepEqual(await credentialsFor('registry.example.com', { env }), { kind: 'basic', username: 'u', password: 'p' });
      assert.deepEqual(await credentialsFor('other.example.com', { env }), { kind: 'none' });
      await assert.rejects(credentialsFor('helped.example.com', { env }), (e: OciError) => e.code === 'oci.credentials');
      await writeFile(path.join(dir, 'token'), 'tok-123\n', { mode: 0o644 });
      await assert.rejects(
        credentialsFor('localhost:5000', { env, tokenFile: path.join(dir, 'token') }),
        (e: OciError) => e.code === 'oci.credentials' && /readable by every user/.test(e.message),
      );
      await chmod(path.join(dir, 'token'), 0o600);
      assert.deepEqual(await credentialsFor('localhost:5000', { env, tokenFile: path.join(dir, 'token') }), {
        kind: 'bearer',
        token: 'tok-123',
      });
      await writeFile(path.join(dir, 'token'), 'two words');
      await assert.rejects(
        credentialsFor('localhost:5000', { env, tokenFile: path.join(dir, 'token') }),
        (e: OciError) => e.code === 'oci.credentials',
      );
      await writeFile(path.join(dir, 'config.json'), '{not json');
      await assert.rejects(credentialsFor('localhost:5000', { env }), (e: OciError) => e.code === 'oci.credentials');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
