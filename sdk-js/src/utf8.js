// UTF-8 for the SDK (QuickJS has no TextEncoder/TextDecoder): a lone surrogate encodes as U+FFFD,
// and each byte of a malformed sequence decodes to U+FFFD. ASCII runs, the common case, go through
// in bulk: the per-character path is what an interpreted loop costs in fuel.

/** `text` as UTF-8 bytes. */
export function encodeUtf8(text) {
  const out = new Uint8Array(text.length * 3);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      out[n++] = c;
      continue;
    }
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
    if (c < 0x800) {
      out[n++] = 0xc0 | (c >> 6);
    } else if (c < 0x10000) {
      out[n++] = 0xe0 | (c >> 12);
      out[n++] = 0x80 | ((c >> 6) & 63);
    } else {
      out[n++] = 0xf0 | (c >> 18);
      out[n++] = 0x80 | ((c >> 12) & 63);
      out[n++] = 0x80 | ((c >> 6) & 63);
    }
    out[n++] = 0x80 | (c & 63);
  }
  return out.slice(0, n);
}

/** The length of the run of ASCII bytes of `bytes` from `i`, at most 8192 (an argument list's worth). */
function asciiRun(bytes, i) {
  let j = i;
  while (j < bytes.length && j - i < 8192 && bytes[j] < 0x80) j++;
  return j - i;
}

/** UTF-8 `bytes` as text. */
export function decodeUtf8(bytes) {
  const parts = [];
  for (let i = 0; i < bytes.length; ) {
    const run = asciiRun(bytes, i);
    if (run > 0) {
      parts.push(String.fromCharCode.apply(null, bytes.subarray(i, i + run)));
      i += run;
      continue;
    }
    const b = bytes[i];
    const need = b < 0x80 ? 0 : b >= 0xc2 && b < 0xe0 ? 1 : b >= 0xe0 && b < 0xf0 ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (need < 0 || i + need >= bytes.length) {
      parts.push('\ufffd');
      i++;
      continue;
    }
    let c = need === 0 ? b : b & (0x3f >> need);
    let ok = true;
    for (let k = 1; k <= need; k++) {
      const x = bytes[i + k];
      if ((x & 0xc0) !== 0x80) {
        ok = false;
        break;
      }
      c = (c << 6) | (x & 63);
    }
    if (!ok || (need === 2 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) || (need === 3 && (c < 0x10000 || c > 0x10ffff))) {
      parts.push('\ufffd');
      i++;
      continue;
    }
    parts.push(String.fromCodePoint(c));
    i += need + 1;
  }
  return parts.join('');
}
