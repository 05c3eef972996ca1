import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AuditChainVerifier,
  canonicalJson,
  decodeRecord,
  encodeRecord,
  GENESIS_HASH,
  recordHash,
  sealAndEncodeRecord,
  sealRecord,
  verifyAuditChain,
  type AuditEntry,
} from '../../src/index.js';
import { chain, entry, sha256, stored } from './records.js';

describe('canonical encoding', () => {
  it('sorts keys at every level and drops whitespace, so equal values give equal bytes', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: 'x', c: [2, { f: true, e: null }] } }), '{"a":{"c":[2,{"e":null,"f":true}],"d":"x"},"b":1}');
    assert.equal(canonicalJson({ a: 1, b: 2 }), canonicalJson({ b: 2, a: 1 }));
  });

  it('refuses numbers that do not round-trip exactly', () => {
    assert.throws(() => canonicalJson({ a: 1.5 }), /safe integers/);
    assert.throws(() => canonicalJson(2 ** 60), /safe integers/);
  });

  it('stores a record as its canonical JSON and reads it back unchanged', () => {
    const [r] = chain(['DeployAgent']);
    const bytes = encodeRecord(r!);
    assert.equal(Buffer.from(bytes).toString('utf8'), canonicalJson(r));
    assert.deepEqual(decodeRecord(bytes), r);
  });

  it('hashes every field but the hash itself: changing any one changes it', () => {
    const [r] = chain(['StopAgent']);
    assert.equal(recordHash(r!, sha256), r!.hash);
    assert.notEqual(recordHash({ ...r!, peer: '10.0.0.1:1' }, sha256), r!.hash);
    assert.notEqual(recordHash({ ...r!, result: { code: 'OK', error: 'x' } }, sha256), r!.hash);
    assert.equal(recordHash({ ...r!, hash: 'f'.repeat(64) }, sha256), r!.hash);
  });

  it('seals and encodes in one pass to the record and bytes sealRecord then encodeRecord give, for every kind', () => {
    const call = entry('DeployAgent');
    const intent: AuditEntry = { ...call, kind: 'intent', result: undefined } as unknown as AuditEntry;
    const outcome: AuditEntry = {
      time: call.time,
      node: call.node,
      method: 'SendMessage',
      role: 'operator',
      token: '',
      peer: 'in-process',
      kind: 'outcome',
      intent: { index: 6, hash: 'c'.repeat(64) },
      result: { code: 'OK', error: '', fields: { messageId: 'm-1' } },
    };
    // Keys on both sides of `hash` in order ("args" before it; "index", "intent" after), a member
    // left undefined (dropped), and unicode, which must be encoded once and hashed as stored.
    const odd = { ...entry('Ünïcode \u2028'), kind: undefined } as AuditEntry;
    for (const [i, e] of [call, intent, outcome, odd].entries()) {
      const prev = i === 0 ? GENESIS_HASH : String(i).repeat(64);
      const one = sealAndEncodeRecord(e, 7 + i, prev, sha256);
      const two = sealRecord(e, 7 + i, prev, sha256);
      assert.deepEqual(one.record, two);
      assert.equal(Buffer.from(one.bytes).toString('utf8'), Buffer.from(encodeRecord(two)).toString('utf8'));
      assert.equal(recordHash(decodeRecord(one.bytes), sha256), one.record.hash);
    }
  });

  it('names what is wrong with bytes that are not a record', () => {
    assert.throws(() => decodeRecord(Buffer.from('{"index":')), /not JSON/);
    assert.throws(() => decodeRecord(Buffer.from('[]')), /not a JSON object/);
    const { peer: _peer, ...noPeer } = chain(['X'])[0]!;
    assert.throws(() => decodeRecord(Buffer.from(JSON.stringify(noPeer))), /peer is not a string/);
  });
});

describe('chain verification', () => {
  const good = chain(['DeployAgent', 'SendMessage', 'StopAgent', 'SendMessage']);

  it('passes an intact chain and reports its head', () => {
    const result = verifyAuditChain(stored(good), sha256);
    assert.equal(result.fault, undefined);
    assert.equal(result.verified, 4);
    assert.deepEqual(result.head, { index: 3, hash: good[3]!.hash });
  });

  it('names an edited record: hash mismatch', () => {
    const records = stored(good);
    const text = Buffer.from(records[2]!.bytes).toString('utf8').replace('"StopAgent"', '"StopAgenT"');
    records[2] = { position: 2, bytes: Buffer.from(text) };
    const { fault, verified } = verifyAuditChain(records, sha256);
    assert.deepEqual([fault?.position, fault?.reason, verified], [2, 'hash-mismatch', 2]);
    assert.match(fault!.detail, /record 2 was altered/);
  });

  it('names a record whose bytes no longer parse: unreadable', () => {
    const records = stored(good);
    const bytes = Buffer.from(records[1]!.bytes);
    bytes[0] = 0x5b; // '{' → '['
    records[1] = { position: 1, bytes };
    assert.deepEqual(verifyAuditChain(records, sha256).fault?.reason, 'unreadable');
  });

  it('names a record re-sealed to hide an edit: broken link to its predecessor', () => {
    const forged = sealRecord({ ...entry('StopAgent'), peer: '10.9.9.9:1' }, 2, 'e'.repeat(64), sha256);
    const records = stored([...good.slice(0, 2), forged, good[3]!]);
    const { fault } = verifyAuditChain(records, sha256);
    assert.deepEqual([fault?.position, fault?.reason], [2, 'broken-link']);
  });

  it('names a removed record: segment-missing when the store skips a position (decision 1790), gap when the records shift', () => {
    const skipped = stored(good).filter((r) => r.position !== 1);
    assert.deepEqual(verifyAuditChain(skipped, sha256).fault?.reason, 'segment-missing');
    const shifted = [good[0]!, good[2]!, good[3]!].map((r, position) => ({ position, bytes: encodeRecord(r) }));
    const { fault } = verifyAuditChain(shifted, sha256);
    assert.deepEqual([fault?.position, fault?.reason], [1, 'gap']);
  });

  it('names a record 0 that does not start from genesis', () => {
    const first = sealRecord(entry('DeployAgent'), 0, 'a'.repeat(64), sha256);
    assert.equal(verifyAuditChain(stored([first]), sha256).fault?.reason, 'broken-link');
  });

  it('verifies from the middle given the record before, and stops at the first fault', () => {
    const tail = stored(good).slice(2);
    assert.equal(verifyAuditChain(tail, sha256, { index: 1, hash: good[1]!.hash }).fault, undefined);
    assert.equal(verifyAuditChain(tail, sha256, { index: 1, hash: good[0]!.hash }).fault?.reason, 'broken-link');
    const verifier = new AuditChainVerifier(sha256);
    const records = stored(good);
    records[1] = { position: 1, bytes: Buffer.from('x') };
    for (const r of records) verifier.push(r);
    assert.deepEqual([verifier.fault?.position, verifier.verified], [1, 1]);
  });
});
