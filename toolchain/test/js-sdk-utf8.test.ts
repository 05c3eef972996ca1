/**
 * The JavaScript SDK's UTF-8 codec (sdk-js/src/utf8.js: QuickJS has no TextEncoder), run here in
 * Node against Node's own codec: the same bytes for every string (a lone surrogate as U+FFFD), the
 * same text for well-formed bytes, and U+FFFD for each byte of a malformed sequence (never a throw).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { toolchainPackageDir } from '../src/toolchain.js';

type Codec = { encodeUtf8(text: string): Uint8Array; decodeUtf8(bytes: Uint8Array): string };
const codec = (): Promise<Codec> =>
  import(pathToFileURL(path.join(toolchainPackageDir(), '..', 'sdk-js', 'src', 'utf8.js')).href) as Promise<Codec>;

describe('the JavaScript SDK’s UTF-8', () => {
  it('encodes as Node does, lone surrogates as U+FFFD, and decodes it back', async () => {
    const { encodeUtf8, decodeUtf8 } = await codec();
    for (const text of ['', 'plain', 'café €', '😀 and 𝄞', 'a\ud800b', '\udc00', `${'x'.repeat(20_000)}é`]) {
      const bytes = encodeUtf8(text);
      assert.deepEqual(Buffer.from(bytes), Buffer.from(new TextEncoder().encode(text)), JSON.stringify(text.slice(0, 12)));
      assert.equal(decodeUtf8(bytes), new TextDecoder().decode(bytes));
    }
  });

  it('decodes each byte of a malformed sequence as U+FFFD: bad lead bytes, overlongs, surrogates, truncation', async () => {
    const { decodeUtf8 } = await codec();
    const cases: [number[], string][] = [
      [[0xf8, 0x80, 0x80], '\ufffd\ufffd\ufffd'],
      [[0xff, 0xbf, 0xbf], '\ufffd\ufffd\ufffd'],
      [[0xc0, 0x80], '\ufffd\ufffd'],
      [[0xed, 0xa0, 0x80], '\ufffd\ufffd\ufffd'],
      [[0xe2, 0x82], '\ufffd\ufffd'],
      [[0x41, 0xc3], 'A\ufffd'],
    ];
    for (const [bytes, text] of cases) assert.equal(decodeUtf8(Uint8Array.from(bytes)), text, bytes.join(' '));
  });
});
