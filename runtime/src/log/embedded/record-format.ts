/**
 * On-disk framing of the embedded log (pure: Buffers in, numbers out, no I/O).
 *
 * File  = header (24 bytes) followed by frames.
 * Header = magic "CAXTNLOG" | version u16 | kind u16 | baseSeq u64 | crc32(bytes 0..19) u32   (LE)
 * Frame  = crc32 u32 | length u32 | type u8 | payload[length]                                  (LE)
 *
 * The checksum comes FIRST and covers length, type and payload, so one native CRC call per record
 * validates all of it: a flipped length byte fails the checksum just like a flipped payload byte.
 * A frame is self-contained (no offsets, no links to other frames), so compaction can copy a frame
 * verbatim into another segment and a reader can resynchronise after damage by trying each offset.
 */
import { crc32 } from './checksum.js';

export const FILE_MAGIC = 'CAXTNLOG';
/**
 * Version written into new files. 2 added AppendedShared frames (decision 1202), 3 added State
 * frames (decision 1600), 4 binary bodies in Appended frames (decision 2092, delivery-body.ts: a
 * JSON body starts with `{`, a binary one with its layout byte); an older file holds only the older
 * record types and bodies and is read as is, so logs written before stay readable. A build that
 * knows only an older version refuses a newer file by its header instead of misreading it.
 */
export const FORMAT_VERSION = 4;
/** Oldest version this build reads. */
export const MIN_READ_FORMAT_VERSION = 1;
export const FILE_HEADER_BYTES = 24;
export const FRAME_HEADER_BYTES = 9;
/**
 * Hard upper bound of a payload in this format. Readers treat larger lengths as damage, which
 * keeps resynchronisation from "finding" absurd frames in garbage. Writers use a smaller
 * configurable limit (`maxRecordBytes`).
 */
export const FORMAT_MAX_PAYLOAD_BYTES = 64 * 1024 * 1024;

export enum FileKind {
  Segment = 1,
  DeadLetters = 2,
}

export enum RecordType {
  /** A delivery was accepted. Payload: keyed (seq, delivery id, the delivery's body: delivery-body.ts). */
  Appended = 1,
  /** A delivery was handled. Payload: the delivery id. */
  Completed = 2,
  /** A delivery was moved to the dead-letter file. Payload: the delivery id. */
  DeadLettered = 3,
  /** Dead-letter file only: a full dead letter. Payload: keyed (0, delivery id, DeadLetter JSON). */
  DeadLetter = 4,
  /**
   * Several deliveries of one message, the message stored once (format version 2). Payload: see
   * shared-payload.ts (count, then seq / delivery id / receiver per delivery, then the body JSON).
   */
  AppendedShared = 5,
  /**
   * Agent state changes (format version 3, decision 1600): one transaction in one frame, or split
   * over consecutive frames applied only together; the last frame may complete a delivery, which
   * makes the state commit atomic with the completion. Payload: see state-frames.ts.
   */
  State = 6,
  /**
   * Dead-letter marks file only (decision 1860): what became of a dead letter. Payload: keyed
   * (0, the letter's delivery id, DeadLetterMark JSON). Its own file, so no older build reads it.
   */
  DeadLetterMark = 7,
}

const MAX_RECORD_TYPE = RecordType.DeadLetterMark;

export interface FileHeader {
  kind: FileKind;
  version: number;
  /** First sequence number this segment may hand out (segments only; 0 for dead letters). */
  baseSeq: number;
}

export function encodeFileHeader(kind: FileKind, baseSeq: number): Buffer {
  const buf = Buffer.alloc(FILE_HEADER_BYTES);
  buf.write(FILE_MAGIC, 0, 'latin1');
  buf.writeUInt16LE(FORMAT_VERSION, 8);
  buf.writeUInt16LE(kind, 10);
  buf.writeUInt32LE(baseSeq % 0x1_0000_0000, 12);
  buf.writeUInt32LE(Math.floor(baseSeq / 0x1_0000_0000), 16);
  buf.writeUInt32LE(crc32(buf.subarray(0, 20)), 20);
  return buf;
}

export type HeaderResult = { ok: true; header: FileHeader } | { ok: false; reason: string };

export function decodeFileHeader(buf: Buffer): HeaderResult {
  if (buf.length < FILE_HEADER_BYTES) return { ok: false, reason: `file shorter than its ${FILE_HEADER_BYTES}-byte header` };
  if (buf.toString('latin1', 0, 8) !== FILE_MAGIC) return { ok: false, reason: 'not a Caxton log file (bad magic)' };
  if (buf.readUInt32LE(20) !== crc32(buf.subarray(0, 20))) return { ok: false, reason: 'header checksum mismatch' };
  const version = buf.readUInt16LE(8);
  if (version < MIN_READ_FORMAT_VERSION || version > FORMAT_VERSION) {
    return {
      ok: false,
      reason: `unsupported format version ${version} (this build reads ${MIN_READ_FORMAT_VERSION} to ${FORMAT_VERSION})`,
    };
  }
  const kind = buf.readUInt16LE(10);
  if (kind !== FileKind.Segment && kind !== FileKind.DeadLetters) return { ok: false, reason: `unknown file kind ${kind}` };
  const baseSeq = buf.readUInt32LE(12) + buf.readUInt32LE(16) * 0x1_0000_0000;
  return { ok: true, header: { kind, version, baseSeq } };
}

/** Write type and length in front of a payload already placed at `offset + FRAME_HEADER_BYTES`, then seal it. */
export function sealFrame(buf: Buffer, offset: number, type: RecordType, payloadLength: number): void {
  buf.writeUInt32LE(payloadLength, offset + 4);
  buf[offset + 8] = type;
  buf.writeUInt32LE(crc32(buf.subarray(offset + 4, offset + FRAME_HEADER_BYTES + payloadLength)), offset);
}

/** Encode one frame into a fresh buffer (tests and cold paths; hot paths use FrameBatch). */
export function encodeFrame(type: RecordType, payload: Uint8Array): Buffer {
  const buf = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  buf.set(payload, FRAME_HEADER_BYTES);
  sealFrame(buf, 0, type, payload.length);
  return buf;
}

export enum FrameStatus {
  Ok = 0,
  /** Fewer bytes left than the frame claims (or than a header): a torn write. */
  Truncated = 1,
  /** Length field larger than any frame this format allows. */
  BadLength = 2,
  BadChecksum = 3,
  /** Checksum fine but the type is unknown: written by a newer version, or a freak collision. */
  BadType = 4,
}

export function describeFrameStatus(status: FrameStatus): string {
  switch (status) {
    case FrameStatus.Ok:
      return 'ok';
    case FrameStatus.Truncated:
      return 'record cut short';
    case FrameStatus.BadLength:
      return 'implausible record length';
    case FrameStatus.BadChecksum:
      return 'checksum mismatch';
    case FrameStatus.BadType:
      return 'unknown record type';
  }
}

/**
 * Reads frames out of a buffer without allocating per frame: `read()` fills the public fields and
 * returns a status. Recovery of a million records runs through here, hence the reusable cursor.
 */
export class FrameReader {
  type: RecordType = RecordType.Appended;
  payloadStart = 0;
  payloadEnd = 0;
  /** Offset just past the frame (valid when `read` returned Ok). */
  next = 0;

  constructor(
    readonly buf: Buffer,
    readonly end: number = buf.length,
  ) {}

  read(offset: number): FrameStatus {
    const { buf, end } = this;
    if (end - offset < FRAME_HEADER_BYTES) return FrameStatus.Truncated;
    const length = buf.readUInt32LE(offset + 4);
    if (length > FORMAT_MAX_PAYLOAD_BYTES) return FrameStatus.BadLength;
    const next = offset + FRAME_HEADER_BYTES + length;
    if (next > end) return FrameStatus.Truncated;
    if (buf.readUInt32LE(offset) !== crc32(buf.subarray(offset + 4, next))) return FrameStatus.BadChecksum;
    const type = buf[offset + 8]!;
    if (type < RecordType.Appended || type > MAX_RECORD_TYPE) return FrameStatus.BadType;
    this.type = type as RecordType;
    this.payloadStart = offset + FRAME_HEADER_BYTES;
    this.payloadEnd = next;
    this.next = next;
    return FrameStatus.Ok;
  }

  /**
   * First offset in (from, end) where a complete, valid frame starts, or -1. Used to tell a torn
   * tail (nothing valid after the damage) from damage in the middle (valid records follow).
   * Cheap on garbage: most offsets fail the length checks before any checksum is computed.
   */
  findNextValidFrame(from: number): number {
    for (let offset = from + 1; offset + FRAME_HEADER_BYTES <= this.end; offset++) {
      const length = this.buf.readUInt32LE(offset + 4);
      if (length > FORMAT_MAX_PAYLOAD_BYTES || offset + FRAME_HEADER_BYTES + length > this.end) continue;
      if (this.read(offset) === FrameStatus.Ok) return offset;
    }
    return -1;
  }
}
