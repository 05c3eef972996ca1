/**
 * The verifier's checks of decision 1750, pure: stored bytes must be a record's canonical encoding
 * (a duplicated key, reordered keys or whitespace are caught even when the parsed record hashes
 * right), and a trail is held against expected heads — the signed anchor's, or one the operator
 * kept — so records cut off its end, or a rewrite re-sealed after them, no longer pass. Signed
 * checkpoints are checked with a real Ed25519 key (node:crypto stands in for the runtime).
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, verify, createPublicKey } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  canonicalJson,
  checkpointPayload,
  checkSignedCheckpoint,
  decodeSignedCheckpoint,
  encodeRecord,
  encodeSignedCheckpoint,
  verifyAuditChain,
  type AuditCheckpoint,
  type AuditExpectedHead,
  type AuditRecord,
  type SignedAuditCheckpoint,
} from '../../src/index.js';
import { chain, sha256, stored } from './records.js';

const methods = ['DeployAgent', 'SendMessage', 'StopAgent', 'Freeze', 'Thaw'];

function anchorAt(records: AuditRecord[], index: number): AuditExpectedHead {
  return { index, hash: records[index]!.hash, trail: records[0]!.hash, source: 'anchor' };
}

describe('stored bytes must be the canonical encoding', () => {
  it('rejects a duplicated key whose first occurrence differs, though the parsed record hashes right', () => {
    const records = chain(methods);
    const text = Buffer.from(encodeRecord(records[2]!)).toString('utf8');
    // JSON.parse keeps the last "method": the parsed record is unchanged, the bytes say two things.
    const forged = text.replace('"method":"StopAgent"', '"method":"Nothing","method":"StopAgent"');
    assert.notEqual(forged, text);
    const trail = stored(records);
    trail[2] = { position: 2, bytes: Buffer.from(forged) };
    const result = verifyAuditChain(trail, sha256);
    assert.equal(result.fault?.reason, 'not-canonical');
    assert.equal(result.fault?.position, 2);
    assert.equal(result.verified, 2);
  });

  it('rejects reordered keys and added whitespace', () => {
    const records = chain(methods);
    const reordered = JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(canonicalJson(records[1]))).reverse()));
    const spaced = JSON.stringify(JSON.parse(canonicalJson(records[1])), null, 1).replace(/\n/g, '');
    for (const text of [reordered, spaced]) {
      const trail = stored(records);
      trail[1] = { position: 1, bytes: Buffer.from(text) };
      assert.equal(verifyAuditChain(trail, sha256).fault?.reason, 'not-canonical', text);
    }
  });
});

describe('expected heads: the signed anchor, or one the operator kept', () => {
  it('passes a trail that reaches and holds the anchored head, or runs past it', () => {
    const records = chain(methods);
    for (const index of [2, 4]) {
      const result = verifyAuditChain(stored(records), sha256, undefined, [anchorAt(records, index)]);
      assert.equal(result.fault, undefined);
      assert.equal(result.verified, 5);
    }
  });

  it('names a trail cut off before the anchored head: truncated, at the first missing record', () => {
    const records = chain(methods);
    const result = verifyAuditChain(stored(records).slice(0, 3), sha256, undefined, [anchorAt(records, 4)]);
    assert.equal(result.fault?.reason, 'truncated');
    assert.equal(result.fault?.position, 3);
    assert.match(result.fault!.detail, /ends at record 2, but the signed anchor covers records up to 4 .*2 records were cut off/);
    const empty = verifyAuditChain([], sha256, undefined, [anchorAt(records, 0)]);
    assert.equal(empty.fault?.reason, 'truncated');
    assert.equal(empty.fault?.position, 0);
  });

  it('names a record rewritten and re-sealed after it: the chain holds, the anchored hash does not', () => {
    const records = chain(methods);
    const rewritten = chain(['DeployAgent', 'SendMessage', 'UpgradeAgent', 'Freeze', 'Thaw']);
    assert.equal(verifyAuditChain(stored(rewritten), sha256).fault, undefined, 'a re-sealed chain passes on its own');
    const result = verifyAuditChain(stored(rewritten), sha256, undefined, [anchorAt(records, 3)]);
    assert.equal(result.fault?.reason, 'rewritten');
    assert.equal(result.fault?.position, 3);
    assert.match(result.fault!.detail, /the signed anchor says/);
  });

  it('names an anchor of another trail at record 0', () => {
    const records = chain(methods);
    const other = chain(['Thaw', 'Freeze']);
    const result = verifyAuditChain(stored(records), sha256, undefined, [{ ...anchorAt(records, 1), trail: other[0]!.hash }]);
    assert.equal(result.fault?.reason, 'rewritten');
    assert.equal(result.fault?.position, 0);
  });

  it('holds a head the operator kept the same way, naming it as theirs', () => {
    const records = chain(methods);
    const kept: AuditExpectedHead = { index: 4, hash: records[4]!.hash, source: 'operator' };
    const cut = verifyAuditChain(stored(records).slice(0, 4), sha256, undefined, [kept]);
    assert.equal(cut.fault?.reason, 'truncated');
    assert.match(cut.fault!.detail, /--expect-head/);
    const wrong = verifyAuditChain(stored(records), sha256, undefined, [{ ...kept, hash: 'e'.repeat(64) }]);
    assert.equal(wrong.fault?.reason, 'rewritten');
  });
});

describe('signed checkpoints', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const raw = (key: typeof publicKey): string => key.export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64');
  const pub = raw(publicKey);
  const verifyRaw = (payload: Uint8Array, sig: Uint8Array, key: string): boolean =>
    verify(
      null,
      payload,
      createPublicKey({
        key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(key, 'base64')]),
        format: 'der',
        type: 'spki',
      }),
      sig,
    );
  const checkpoint: AuditCheckpoint = {
    trail: 'a'.repeat(64),
    index: 7,
    hash: 'b'.repeat(64),
    time: '2026-01-02T03:04:05.678Z',
    node: 'node-a',
  };
  const signed: SignedAuditCheckpoint = {
    checkpoint,
    key: pub,
    sig: sign(null, checkpointPayload(checkpoint), privateKey).toString('base64'),
  };

  it("round-trips through its canonical stored form and verifies with the signer's key", () => {
    const text = encodeSignedCheckpoint(signed);
    assert.equal(text, canonicalJson(signed));
    assert.deepEqual(decodeSignedCheckpoint(text), signed);
    assert.equal(checkSignedCheckpoint(signed, [pub], verifyRaw), undefined);
  });

  it('refuses one signed by a key not trusted, one altered after signing, and a forged signature', () => {
    const other = raw(generateKeyPairSync('ed25519').publicKey);
    assert.match(checkSignedCheckpoint(signed, [other], verifyRaw)!, /not a trusted audit key/);
    const moved = { ...signed, checkpoint: { ...checkpoint, index: 9 } };
    assert.match(checkSignedCheckpoint(moved, [pub], verifyRaw)!, /does not verify/);
    const forged = { ...signed, sig: Buffer.alloc(64, 1).toString('base64') };
    assert.match(checkSignedCheckpoint(forged, [pub], verifyRaw)!, /does not verify/);
  });

  it('names what is wrong with a stored anchor that is not one', () => {
    assert.throws(() => decodeSignedCheckpoint('{'), /not JSON/);
    assert.throws(() => decodeSignedCheckpoint('{"checkpoint":{}}'), /checkpoint.trail/);
    assert.throws(() => decodeSignedCheckpoint(JSON.stringify({ ...signed, checkpoint: { ...checkpoint, index: -1 } })), /index/);
    assert.throws(() => decodeSignedCheckpoint(JSON.stringify({ ...signed, sig: 'not base64!' })), /sig/);
  });

  it('signs a domain-tagged payload: the bytes are not the bare checkpoint JSON', () => {
    const payload = Buffer.from(checkpointPayload(checkpoint)).toString('utf8');
    assert.ok(payload.startsWith('caxton-audit-checkpoint-v1\n'));
    assert.equal(payload.slice(payload.indexOf('\n') + 1), canonicalJson(checkpoint));
  });
});
