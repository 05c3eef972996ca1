/**
 * Checksummed frames for the embedded registry's journal and snapshot. Pure: bytes in, verdict out.
 *
 * A frame is `u32le length | u32le crc32(payload) | payload`. The journal writes exactly ONE frame
 * per write+fsync (a group-committed batch of mutations), so a crash can only tear the last frame:
 * every earlier frame was fsynced before the next write began. That is what lets `scanFrames` tell a
 * torn tail (safe to truncate: its writer was never acknowledged) from corruption in the middle
 * (data loss we must not paper over).
 */
import { crc32 } from 'node:zlib';

export const FRAME_HEADER_BYTES = 8;
/** Registry frames are small; a length beyond this is a damaged header, not a real frame. */
export const MAX_FRAME_BYTES = 256 * 1024 * 1024;

export function encodeFrame(payload: Buffer): Buffer {
  if (payload.length === 0 || payload.length > MAX_FRAME_BYTES) {
    throw new RangeError(`frame payload must be 1..${MAX_FRAME_BYTES} bytes, got ${payload.length}`);
  }
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  out.writeUInt32LE(payload.length, 0);
  out.writeUInt32LE(crc32(payload), 4);
  payload.copy(out, FRAME_HEADER_BYTES);
  return out;
}

export type TailState =
  /** Every byte belongs to a valid frame. */
  | 'clean'
  /** The last write was torn: bytes from `validBytes` on can be dropped. */
  | 'torn'
  /** A bad frame is followed by data that is not a torn write: real damage. */
  | 'corrupt';

export interface ScanResult {
  payloads: Buffer[];
  /** Length of the prefix made of valid frames. */
  validBytes: number;
  tail: TailState;
}

function allZero(buf: Buffer, from: number): boolean {
  for (let i = from; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}

/**
 * Reads frames from the start of `buf`. At the first invalid frame at offset X it decides:
 * - header cut short, or the frame claims to run past EOF: the last write was torn;
 * - the frame fits but fails its checksum (or has an impossible length) and nothing but zeros
 *   follows its claimed end: torn too (filesystems may extend a file with zeros before the data
 *   lands; a zeroed header reads as length 0);
 * - otherwise more real data follows a bad frame, which a torn final write cannot produce: corrupt.
 */
export function scanFrames(buf: Buffer): ScanResult {
  const payloads: Buffer[] = [];
  let offset = 0;
  while (offset < buf.length) {
    const remaining = buf.length - offset;
    if (remaining < FRAME_HEADER_BYTES) return { payloads, validBytes: offset, tail: 'torn' };
    const length = buf.readUInt32LE(offset);
    const crc = buf.readUInt32LE(offset + 4);
    const end = offset + FRAME_HEADER_BYTES + length;
    const lengthPlausible = length > 0 && length <= MAX_FRAME_BYTES;
    if (lengthPlausible && end > buf.length) return { payloads, validBytes: offset, tail: 'torn' };
    if (lengthPlausible) {
      const payload = buf.subarray(offset + FRAME_HEADER_BYTES, end);
      if (crc32(payload) === crc) {
        payloads.push(payload);
        offset = end;
        continue;
      }
    }
    const claimedEnd = lengthPlausible ? end : offset + FRAME_HEADER_BYTES;
    return { payloads, validBytes: offset, tail: allZero(buf, claimedEnd) ? 'torn' : 'corrupt' };
  }
  return { payloads, validBytes: offset, tail: 'clean' };
}
