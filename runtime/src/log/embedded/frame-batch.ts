/**
 * Encodes the frames of one commit group straight into a few large buffers (pure: no I/O).
 *
 * Why: the log must sustain hundreds of thousands of records per second. Encoding each record into
 * its own Buffer would cost an allocation per record and a huge iovec; here strings are written
 * in place into pooled 256 KiB chunks and the whole group goes to disk in one writev. Chunks come
 * back to the pool once the write has completed, so a steady stream allocates nothing.
 */
import { FRAME_HEADER_BYTES, RecordType, sealFrame } from './record-format.js';
import { KEYED_PREFIX_BYTES, maxBodyBytes, maxUtf8Bytes, writeKeyedPayload } from './payload.js';
import { writeSharedPayload, type SharedEntry } from './shared-payload.js';

export const DEFAULT_CHUNK_BYTES = 256 * 1024;

/** A small free list of equally sized chunks. Oversized one-off chunks are never pooled. */
export class ChunkPool {
  private readonly free: Buffer[] = [];

  constructor(
    readonly chunkBytes: number = DEFAULT_CHUNK_BYTES,
    private readonly maxFree = 16,
  ) {}

  take(minBytes: number): Buffer {
    if (minBytes > this.chunkBytes) return Buffer.allocUnsafe(minBytes);
    return this.free.pop() ?? Buffer.allocUnsafe(this.chunkBytes);
  }

  give(chunk: Buffer): void {
    if (chunk.length === this.chunkBytes && this.free.length < this.maxFree) this.free.push(chunk);
  }
}

export class FrameBatch {
  private readonly full: Buffer[] = [];
  private readonly owned: Buffer[] = [];
  private chunk: Buffer | undefined;
  private pos = 0;
  private sealedBytes = 0;
  /** Number of frames in the batch. */
  count = 0;

  constructor(private readonly pool: ChunkPool) {}

  /** Bytes encoded so far; also the offset the next frame will have relative to the batch start. */
  get byteLength(): number {
    return this.sealedBytes + this.pos;
  }

  /**
   * Append a keyed frame (Appended / DeadLetter): its body a JSON text or bytes already encoded.
   * Returns its offset relative to the batch start.
   */
  addKeyed(type: RecordType, seq: number, id: string, body: string | Uint8Array): number {
    const at = this.reserve(FRAME_HEADER_BYTES + KEYED_PREFIX_BYTES + maxUtf8Bytes(id) + maxBodyBytes(body));
    const chunk = this.chunk!;
    const length = writeKeyedPayload(chunk, this.pos + FRAME_HEADER_BYTES, seq, id, body);
    sealFrame(chunk, this.pos, type, length);
    this.pos += FRAME_HEADER_BYTES + length;
    this.count++;
    return at;
  }

  /**
   * Append an AppendedShared frame: several deliveries of one message, its body once. `payloadBytes`
   * is the payload's exact size (the caller measured it to respect the record size limit).
   */
  addShared(entries: readonly SharedEntry[], body: string | Uint8Array, payloadBytes: number): number {
    const at = this.reserve(FRAME_HEADER_BYTES + payloadBytes);
    const chunk = this.chunk!;
    const length = writeSharedPayload(chunk, this.pos + FRAME_HEADER_BYTES, entries, body);
    sealFrame(chunk, this.pos, RecordType.AppendedShared, length);
    this.pos += FRAME_HEADER_BYTES + length;
    this.count++;
    return at;
  }

  /** Append an id frame (Completed / DeadLettered). */
  addId(type: RecordType, id: string): number {
    const at = this.reserve(FRAME_HEADER_BYTES + maxUtf8Bytes(id));
    const chunk = this.chunk!;
    const length = chunk.write(id, this.pos + FRAME_HEADER_BYTES, 'utf8');
    sealFrame(chunk, this.pos, type, length);
    this.pos += FRAME_HEADER_BYTES + length;
    this.count++;
    return at;
  }

  /** Append a frame whose payload is one UTF-8 text (State frames). */
  addText(type: RecordType, text: string): number {
    return this.addId(type, text);
  }

  /** Append an already sealed frame verbatim (compaction copies frames between segments). */
  addRaw(frame: Uint8Array): number {
    const at = this.reserve(frame.length);
    this.chunk!.set(frame, this.pos);
    this.pos += frame.length;
    this.count++;
    return at;
  }

  /** The encoded bytes, in order, as views into the chunks (valid until `release`). */
  buffers(): Buffer[] {
    const out = this.full.slice();
    if (this.chunk !== undefined && this.pos > 0) out.push(this.chunk.subarray(0, this.pos));
    return out;
  }

  /** Return the chunks to the pool; the batch must not be used afterwards. */
  release(): void {
    for (const chunk of this.owned) this.pool.give(chunk);
    this.owned.length = 0;
    this.full.length = 0;
    this.chunk = undefined;
  }

  /** Make room for `maxBytes` in the current chunk; returns the batch-relative offset of the frame. */
  private reserve(maxBytes: number): number {
    if (this.chunk === undefined || this.chunk.length - this.pos < maxBytes) {
      if (this.chunk !== undefined && this.pos > 0) {
        this.full.push(this.chunk.subarray(0, this.pos));
        this.sealedBytes += this.pos;
      }
      this.chunk = this.pool.take(maxBytes);
      this.owned.push(this.chunk);
      this.pos = 0;
    }
    return this.sealedBytes + this.pos;
  }
}
