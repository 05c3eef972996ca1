/** An agent's assets in its component (decision 2192): the section walk and the payload's codec, against hostile bytes. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AGENT_ASSET_LIMITS,
  AssetsInvalidError,
  ASSETS_SECTION,
  componentAssets,
  customSections,
  decodeAssets,
  encodeAssets,
  withCustomSection,
  withoutCustomSections,
} from '../../src/index.js';

const file = (path: string, text: string) => ({ path, bytes: new Uint8Array(Buffer.from(text)) });
/** The smallest module: its header and no section. */
const EMPTY_MODULE = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
const refused = (fn: () => unknown, reason: RegExp) =>
  assert.throws(
    fn,
    (e: unknown) => e instanceof AssetsInvalidError && e.code === 'agent.assets-invalid' && reason.test(e.message) && e.hint !== undefined,
  );

describe('the assets payload', () => {
  it('round-trips files, sorted by path', () => {
    const files = [file('b.txt', 'bee'), file('a/deep/c.json', '{}'), file('empty', '')];
    const back = decodeAssets(encodeAssets(files));
    assert.deepEqual(
      back.map((f) => [f.path, Buffer.from(f.bytes).toString()]),
      [
        ['a/deep/c.json', '{}'],
        ['b.txt', 'bee'],
        ['empty', ''],
      ],
    );
  });

  it('refuses paths the file system could not hold, twice-given paths and a file that is also a directory', () => {
    for (const bad of ['', '../x', '/abs', 'a//b', 'a/./b', 'nul\u0000', 'n'.repeat(256)])
      refused(() => encodeAssets([file(bad, 'x')]), /not a plain path/);
    refused(() => encodeAssets([file('a', '1'), file('a', '2')]), /twice/);
    refused(() => encodeAssets([file('a', '1'), file('a/b', '2')]), /both a file and a directory/);
  });

  it('refuses past the limits: files, one file, the total', () => {
    refused(() => encodeAssets(Array.from({ length: AGENT_ASSET_LIMITS.maxFiles + 1 }, (_, i) => file(`f${i}`, ''))), /more than/);
    refused(() => encodeAssets([{ path: 'big', bytes: new Uint8Array(AGENT_ASSET_LIMITS.maxFileBytes + 1) }]), /more than/);
    const half = AGENT_ASSET_LIMITS.maxFileBytes;
    const count = Math.floor(AGENT_ASSET_LIMITS.maxTotalBytes / half) + 1;
    refused(() => encodeAssets(Array.from({ length: count }, (_, i) => ({ path: `p${i}`, bytes: new Uint8Array(half) }))), /together/);
  });

  it('refuses malformed payloads before taking anything: header, counts, lengths, UTF-8, trailing bytes', () => {
    const good = encodeAssets([file('a.txt', 'hello')]);
    refused(() => decodeAssets(good.subarray(0, 6)), /CXA1/);
    refused(() => decodeAssets(new Uint8Array([...good.subarray(0, 4), 0xff, 0xff, 0xff, 0xff])), /more than/);
    refused(() => decodeAssets(good.subarray(0, good.byteLength - 1)), /truncated/);
    refused(() => decodeAssets(new Uint8Array([...good, 0])), /after the last file/);
    const lying = Buffer.from(good);
    lying.writeUInt32LE(0xfffffff0, 8 + 2 + 5); // the file's length: far past what is there
    refused(() => decodeAssets(lying), /truncated or oversized/);
    const badUtf8 = Buffer.from(good);
    badUtf8[10] = 0xff;
    assert.throws(() => decodeAssets(badUtf8));
  });
});

describe('the component section', () => {
  it('is appended as a custom section and found again; other binaries carry none', () => {
    const payload = encodeAssets([file('x', 'y')]);
    const binary = withCustomSection(EMPTY_MODULE, ASSETS_SECTION, payload);
    assert.deepEqual(customSections(binary, ASSETS_SECTION), [payload]);
    assert.deepEqual(customSections(binary, 'other'), []);
    assert.deepEqual(componentAssets(EMPTY_MODULE), []);
    assert.equal(Buffer.from(componentAssets(binary)[0]!.bytes).toString(), 'y');
  });

  it('a large payload takes a multi-byte section size', () => {
    const payload = encodeAssets([{ path: 'big', bytes: new Uint8Array(300_000).fill(7) }]);
    const binary = withCustomSection(EMPTY_MODULE, ASSETS_SECTION, payload);
    assert.equal(componentAssets(binary)[0]!.bytes.byteLength, 300_000);
  });

  it('refuses two assets sections; sections that do not add up are not walked', () => {
    const payload = encodeAssets([file('x', 'y')]);
    const twice = withCustomSection(withCustomSection(EMPTY_MODULE, ASSETS_SECTION, payload), ASSETS_SECTION, payload);
    refused(() => componentAssets(twice), /sections, at most one/);
    const cut = withCustomSection(EMPTY_MODULE, ASSETS_SECTION, payload).subarray(0, 12);
    assert.equal(customSections(cut, ASSETS_SECTION), undefined);
    assert.equal(customSections(new Uint8Array([1, 2, 3]), ASSETS_SECTION), undefined);
  });
});

describe('replacing the assets', () => {
  it('drops every assets section and keeps the rest in order', () => {
    const other = withCustomSection(EMPTY_MODULE, 'name', new Uint8Array([1, 2, 3]));
    const both = withCustomSection(
      withCustomSection(other, ASSETS_SECTION, encodeAssets([file('a', 'b')])),
      ASSETS_SECTION,
      encodeAssets([]),
    );
    const stripped = withoutCustomSections(both, ASSETS_SECTION)!;
    assert.deepEqual(stripped, other);
    assert.deepEqual(customSections(stripped, 'name'), [new Uint8Array([1, 2, 3])]);
    assert.equal(withoutCustomSections(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0, 0x7f]), ASSETS_SECTION), undefined);
  });
});
