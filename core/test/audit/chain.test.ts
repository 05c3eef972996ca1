import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AuditChainVerifier,
  canonicalBytes,
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

  it('keeps the stored bytes and hash of a record as trails already hold them (pinned from the encoder before decision 2198)', () => {
    const outcome = {
      kind: 'outcome',
      time: '2026-01-02T03:04:05.678Z',
      node: 'n\u00e9-1',
      method: 'SendMessage',
      role: 'admin',
      token: '',
      peer: 'in-process',
      changeSet: 'cs.1',
      intent: { index: 6, hash: 'a'.repeat(64) },
      result: { code: 'OK', error: '', fields: { messageId: 'm"1\\\n', '10': 'x', '9': 'y', Z: '\u{1F600}', é: '\u0001' } },
    } as AuditEntry;
    const { record, bytes } = sealAndEncodeRecord(outcome, 7, 'b'.repeat(64), sha256);
    const hash = '9ad59ff82e341cce70f4120816280430a49e4c20a0eb5543015fad9a038ab652';
    assert.equal(record.hash, hash);
    assert.equal(
      Buffer.from(bytes).toString('utf8'),
      `{"changeSet":"cs.1","hash":"${hash}","index":7,"intent":{"hash":"${'a'.repeat(64)}","index":6},"kind":"outcome","method":"SendMessage",` +
        `"node":"né-1","peer":"in-process","prev":"${'b'.repeat(64)}","result":{"code":"OK","error":"","fields":{"10":"x","9":"y","Z":"😀",` +
        `"messageId":"m\\"1\\\\\\n","é":"\\u0001"}},"role":"admin","time":"2026-01-02T03:04:05.678Z","token":""}`,
    );
    assert.equal(canonicalJson({ b: [1, { '\u{1F600}': 2, ｅ: 3, '': 4 }], a: -0, c: undefined }), '{"a":0,"b":[1,{"":4,"😀":2,"ｅ":3}]}');
  });

  it('encodes exactly as the encoder before decision 2198 (sort and join) did: random values, large ones, odd text, many keys', () => {
    // The encoder before decision 2198, kept as the reference.
    const reference = (v: unknown): string => {
      if (v === null || typeof v !== 'object') return JSON.stringify(v);
      if (Array.isArray(v)) return `[${v.map(reference).join(',')}]`;
      const members = Object.entries(v).filter(([, x]) => x !== undefined);
      members.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${members.map(([k, x]) => `${JSON.stringify(k)}:${reference(x)}`).join(',')}}`;
    };
    let seed = 2198;
    const next = (n: number): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const pieces = [
      '',
      'a',
      'B',
      '10',
      '9',
      'hash',
      'é',
      '\u{1F600}',
      'ｅ',
      '"',
      '\\',
      '\n',
      '\u2028',
      '\u0000',
      '\ud800',
      '\udc00',
      'x'.repeat(300),
    ];
    const text = (): string => Array.from({ length: next(6) }, () => pieces[next(pieces.length)]).join('');
    const value = (depth: number): unknown => {
      const pick = next(depth > 3 ? 4 : 7);
      if (pick === 0) return text();
      if (pick === 1) return next(2) === 0 ? null : next(2) === 0;
      if (pick === 2) return next(2 ** 31) - 2 ** 30;
      if (pick === 3) return undefined;
      if (pick === 4) return Array.from({ length: next(5) }, () => value(depth + 1) ?? 0);
      return Object.fromEntries(Array.from({ length: next(next(4) === 0 ? 60 : 6) }, () => [text(), value(depth + 1)]));
    };
    const seen = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      const v = { root: value(0) };
      const json = canonicalJson(v);
      assert.equal(json, reference(v));
      assert.deepEqual(Buffer.from(canonicalBytes(v)), Buffer.from(reference(v), 'utf8'));
      seen.add(json);
    }
    assert.ok(seen.size > 1500, `the generator varies its values (${seen.size} distinct)`);
    // Past the writer's first buffer (4 KiB) and past what it keeps (64 KiB), text that is not ASCII
    // astride a growth, lone surrogates, more keys than the insertion sort takes.
    const big = {
      straddle: `${'a'.repeat(4090)}é\u{1F600}\ud800\udc00é`,
      many: Object.fromEntries(Array.from({ length: 500 }, (_, k) => [`k${(k * 7919) % 500}é`, k])),
      long: 'é"\\\u0001'.repeat(30_000),
      escapes: '\u0001'.repeat(5000),
    };
    assert.equal(canonicalJson(big), reference(big));
    assert.equal(canonicalJson(big.straddle), reference(big.straddle));
    assert.equal(canonicalJson({ a: 1 }), '{"a":1}'); // the shared writer is sound after a large value
  });

  it('encodes a value whose getter encodes another while the writer is in use', () => {
    const inner = { z: 'é', a: [1, 2] };
    const outer = {
      b: 'last',
      get a(): string {
        return canonicalJson(inner);
      },
    };
    assert.equal(canonicalJson(outer), `{"a":${JSON.stringify('{"a":[1,2],"z":"é"}')},"b":"last"}`);
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
