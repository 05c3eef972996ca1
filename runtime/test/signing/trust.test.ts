/**
 * Ed25519 signing and the trust decision, cross-checked against OpenSSL so neither side can agree
 * with itself by mistake: a key and a signature made by `openssl` are accepted by TrustPolicy, a
 * signature made by signStatement verifies with `openssl pkeyutl -verify`, and the key id is the
 * sha256 of the raw key that `openssl pkey` prints. Then every refusal of `require` and the `warn`
 * and `off` behaviours.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { Buffer } from 'node:buffer';
import { envelope, pae, statementPayload, STATEMENT_PAYLOAD_TYPE } from '@caxton/core';
import { generateSigningKey, keyIdOf, parsePrivateKey, parsePublicKey, SigningKeyError } from '../../src/signing/keys.js';
import { signStatement } from '../../src/signing/sign.js';
import { TrustPolicy, UntrustedArtifactError } from '../../src/signing/trust.js';
import { loadTrustedKeys } from '../../src/signing/trust-files.js';

const dir = mkdtempSync(path.join(tmpdir(), 'caxton-trust-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const openssl = (args: string[], input?: Buffer): Buffer => execFileSync('openssl', args, { input: input ?? Buffer.alloc(0) });
const file = (name: string, data: string | Uint8Array): string => {
  const p = path.join(dir, name);
  writeFileSync(p, data);
  return p;
};

const SHA = createHash('sha256').update('the component').digest('hex');

describe('Ed25519 signatures, cross-checked with OpenSSL', () => {
  const keyFile = path.join(dir, 'openssl.key');
  openssl(['genpkey', '-algorithm', 'ed25519', '-out', keyFile]);
  const pubPem = openssl(['pkey', '-in', keyFile, '-pubout']).toString();
  const pub = parsePublicKey(pubPem, 'openssl.pub');

  it('the key id is the first 16 hex of sha256 over the raw 32-byte key OpenSSL exports', () => {
    const der = openssl(['pkey', '-in', keyFile, '-pubout', '-outform', 'DER']);
    const raw = der.subarray(der.length - 32); // SPKI DER for Ed25519: a fixed 12-byte prefix, then the key
    assert.equal(keyIdOf(pub), createHash('sha256').update(raw).digest('hex').slice(0, 16));
  });

  it('accepts an envelope whose signature OpenSSL made over the PAE', () => {
    const payload = statementPayload({ sha256: SHA, name: 'echo', version: '2' });
    const sig = openssl(['pkeyutl', '-sign', '-rawin', '-inkey', keyFile, '-in', file('pae.bin', pae(STATEMENT_PAYLOAD_TYPE, payload))]);
    const env = envelope(STATEMENT_PAYLOAD_TYPE, payload, [{ keyid: keyIdOf(pub), sig: new Uint8Array(sig) }]);
    const decision = new TrustPolicy('require', [pub]).check('echo', SHA, JSON.stringify(env));
    assert.equal(decision.signerKeyId, keyIdOf(pub));
    assert.deepEqual(decision.statement, { sha256: SHA, name: 'echo', version: '2' });
  });

  it('makes signatures OpenSSL verifies', () => {
    const key = parsePrivateKey(readFileSync(keyFile, 'utf8'), 'openssl.key');
    const env = signStatement({ sha256: SHA, name: 'echo' }, key);
    const signed = pae(env.payloadType, Buffer.from(env.payload, 'base64'));
    const out = openssl([
      'pkeyutl',
      '-verify',
      '-rawin',
      '-pubin',
      '-inkey',
      file('openssl.pub', pubPem),
      '-in',
      file('signed.bin', signed),
      '-sigfile',
      file('sig.bin', Buffer.from(env.signatures[0]!.sig, 'base64')),
    ]).toString();
    assert.match(out, /Signature Verified Successfully/);
  });
});

describe('the trust policy', () => {
  const trusted = generateSigningKey();
  const stranger = generateSigningKey();
  const trustedKey = createPrivateKey(trusted.privatePem);
  const policy = (mode: 'off' | 'warn' | 'require'): TrustPolicy => new TrustPolicy(mode, [createPublicKey(trusted.publicPem)]);
  const signedBy = (pem: string, sha256 = SHA): string => JSON.stringify(signStatement({ sha256, name: 'echo' }, createPrivateKey(pem)));
  const refusal =
    (reason: string) =>
    (err: unknown): boolean => {
      assert.ok(err instanceof UntrustedArtifactError, String(err));
      assert.equal(err.reason, reason);
      assert.equal(err.kind, 'permission-denied');
      assert.equal(err.context.acceptedKeyIds, trusted.keyId);
      assert.match(err.hint ?? '', new RegExp(trusted.keyId));
      return true;
    };

  it('require: records the signer of a properly signed artifact', () => {
    assert.equal(policy('require').check('echo', SHA, signedBy(trusted.privatePem)).signerKeyId, trusted.keyId);
    assert.equal(keyIdOf(createPublicKey(trustedKey)), trusted.keyId);
  });

  it('require: refuses unsigned, untrusted, changed-after-signing, tampered and malformed', () => {
    const p = policy('require');
    assert.throws(() => p.check('echo', SHA, undefined), refusal('unsigned'));
    assert.throws(() => p.check('echo', SHA, ''), refusal('unsigned'));
    assert.throws(() => p.check('echo', SHA, signedBy(stranger.privatePem)), refusal('untrusted-key'));
    const changed = createHash('sha256').update('the component, edited').digest('hex');
    assert.throws(() => p.check('echo', changed, signedBy(trusted.privatePem)), refusal('digest-mismatch'));
    // A statement rewritten to the new digest, keeping the old signature: the signature breaks.
    const env = JSON.parse(signedBy(trusted.privatePem)) as { payload: string };
    env.payload = Buffer.from(Buffer.from(env.payload, 'base64').toString().replace(SHA, changed)).toString('base64');
    assert.throws(() => p.check('echo', changed, JSON.stringify(env)), refusal('bad-signature'));
    assert.throws(() => p.check('echo', SHA, '{"payloadType":'), refusal('malformed'));
    // A stranger claiming the trusted key id does not verify.
    const forged = JSON.parse(signedBy(stranger.privatePem)) as { signatures: { keyid: string }[] };
    forged.signatures[0]!.keyid = trusted.keyId;
    assert.throws(() => p.check('echo', SHA, JSON.stringify(forged)), refusal('bad-signature'));
  });

  it('warn: deploys anything, with a warning unless a trusted key signed it', () => {
    const p = policy('warn');
    assert.match(p.check('echo', SHA, undefined).warning ?? '', /not signed.*under require it would be refused/);
    assert.match(
      p.check('echo', SHA, signedBy(stranger.privatePem)).warning ?? '',
      new RegExp(`signed by ${stranger.keyId}, a key this node does not trust`),
    );
    const ok = p.check('echo', SHA, signedBy(trusted.privatePem));
    assert.equal(ok.signerKeyId, trusted.keyId);
    assert.equal(ok.warning, undefined);
  });

  it('off: looks at nothing and records nothing', () => {
    assert.deepEqual(policy('off').check('echo', SHA, signedBy(trusted.privatePem)), {});
    assert.deepEqual(policy('off').check('echo', SHA, undefined), {});
  });
});

describe('trusted key files', () => {
  it('loads files and directories of .pub/.pem, and refuses private keys and non-keys with the file named', async () => {
    const keysDir = path.join(dir, 'trusted');
    execFileSync('mkdir', ['-p', keysDir]);
    const a = generateSigningKey();
    const b = generateSigningKey();
    writeFileSync(path.join(keysDir, 'a.pub'), a.publicPem);
    writeFileSync(path.join(keysDir, 'b.pem'), b.publicPem);
    writeFileSync(path.join(keysDir, 'notes.txt'), 'ignored');
    const single = file('single.pub', generateSigningKey().publicPem);
    const keys = await loadTrustedKeys([keysDir, single]);
    assert.equal(keys.length, 3);
    assert.deepEqual(new TrustPolicy('warn', keys).keyIds.filter((k) => k === a.keyId || k === b.keyId).sort(), [a.keyId, b.keyId].sort());
    const isKeyError =
      (name: RegExp) =>
      (err: unknown): boolean =>
        err instanceof SigningKeyError && name.test(err.message);
    await assert.rejects(loadTrustedKeys([file('private.pub', a.privatePem)]), isKeyError(/private\.pub holds a private key/));
    await assert.rejects(loadTrustedKeys([file('junk.pub', 'hello')]), isKeyError(/junk\.pub is not a PEM public key/));
    await assert.rejects(loadTrustedKeys([path.join(dir, 'missing.pub')]), isKeyError(/missing\.pub does not exist/));
    const rsa = openssl(['genpkey', '-algorithm', 'rsa', '-pkeyopt', 'rsa_keygen_bits:1024']).toString();
    await assert.rejects(
      loadTrustedKeys([file('rsa.pub', createPublicKey(rsa).export({ format: 'pem', type: 'spki' }).toString())]),
      isKeyError(/rsa key, not Ed25519/),
    );
  });
});
