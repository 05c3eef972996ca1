/**
 * Byte-level writer and reader for the compact record formats: unsigned varints, length-prefixed
 * UTF-8 strings and float64 numbers. Pure, no I/O. Used by the Kafka records (kafka/codec.ts,
 * decision 1205) and the embedded log's delivery bodies (embedded/delivery-body.ts, decision 2092).
 *
 * Why not JSON: every delivery is encoded once and decoded once per cross-node message, and with
 * kafkajs each record header costs its own encoder objects; one flat buffer with no headers is
 * cheaper on both sides (measured in docs/decisions/1205-kafka-client-and-records.md).
 */

/** A record that is not in the layout it claims (truncated, overlong, bad varint). */
export class RecordFormatError extends Error {
  override readonly name = 'RecordFormatError';
}

export class FieldWriter {
  private buf: Buffer;
  private at = 0;

  constructor(initial = 256) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + n));
    this.buf.copy(next, 0, 0, this.at);
    this.buf = next;
  }

  byte(b: number): void {
    this.room(1);
    this.buf[this.at++] = b;
  }

  /** Unsigned integer up to 2^53, 7 bits per byte, low bits first. */
  varint(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`varint out of range: ${n}`);
    this.room(8);
    while (n >= 0x80) {
      this.buf[this.at++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.at++] = n;
  }

  string(s: string): void {
    const len = s.length;
    // Short ASCII strings (names, ids, performatives: most of a message) are copied by a plain loop:
    // a call into Buffer.write costs more than the copy itself at these sizes (decision 2092).
    if (len < 0x80) {
      this.room(1 + len);
      const buf = this.buf;
      const start = this.at + 1;
      let i = 0;
      for (; i < len; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[start + i] = c;
      }
      if (i === len) {
        buf[this.at] = len;
        this.at = start + len;
        return;
      }
    }
    // At most 3 bytes per UTF-16 unit; write first, then the exact length in front.
    const max = len * 3;
    const lenBytes = max < 0x80 ? 1 : max < 0x4000 ? 2 : max < 0x200000 ? 3 : 5;
    this.room(lenBytes + max);
    const start = this.at + lenBytes;
    const written = this.buf.write(s, start, 'utf8');
    // Re-encode the length in place with a fixed width so the bytes need not move.
    let n = written;
    for (let i = 0; i < lenBytes; i++) {
      this.buf[this.at + i] = (n & 0x7f) | (i < lenBytes - 1 ? 0x80 : 0);
      n >>>= 7;
    }
    this.at = start + written;
  }

  /** Bytes already in this layout (a part encoded once and shared, see codec.ts). */
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.at);
    this.at += b.length;
  }

  float64(n: number): void {
    this.room(8);
    this.buf.writeDoubleLE(n, this.at);
    this.at += 8;
  }

  /** Bytes written so far. */
  get length(): number {
    return this.at;
  }

  /** Start over at the beginning, keeping the buffer (a writer reused for every append). */
  reset(): void {
    this.at = 0;
  }

  /** A view of bytes [start, end) written so far (valid until the writer writes again or grows). */
  view(start: number, end: number): Buffer {
    return this.buf.subarray(start, end);
  }

  /** The bytes written so far (a copy-free view; the writer must not be used afterwards). */
  finish(): Buffer {
    return this.buf.subarray(0, this.at);
  }
}

export class FieldReader {
  private at: number;

  constructor(
    private readonly buf: Buffer,
    start = 0,
  ) {
    this.at = start;
  }

  get done(): boolean {
    return this.at >= this.buf.length;
  }

  /** Where the next read starts. */
  get position(): number {
    return this.at;
  }

  /** Bytes not read yet. */
  get remaining(): number {
    return Math.max(0, this.buf.length - this.at);
  }

  byte(): number {
    if (this.at >= this.buf.length) throw new RecordFormatError('record truncated');
    return this.buf[this.at++]!;
  }

  varint(): number {
    let n = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.byte();
      n += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return n;
      scale *= 0x80;
    }
    throw new RecordFormatError('varint longer than 8 bytes');
  }

  string(): string {
    const len = this.varint();
    const end = this.at + len;
    if (end > this.buf.length) throw new RecordFormatError('string runs past the end of the record');
    const s = this.buf.toString('utf8', this.at, end);
    this.at = end;
    return s;
  }

  float64(): number {
    if (this.at + 8 > this.buf.length) throw new RecordFormatError('record truncated');
    const n = this.buf.readDoubleLE(this.at);
    this.at += 8;
    return n;
  }
}
