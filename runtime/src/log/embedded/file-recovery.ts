/**
 * Recovery of one log file (segment or dead-letter file): read it, check the header, walk the
 * frames, and carry out the verdict of `scanFrames` — cut a torn tail, warn about skipped damage,
 * or refuse with an error that says where and what to do.
 */
import * as fs from 'node:fs/promises';
import { EmbeddedLogError, corruptionError } from './errors.js';
import { scanFrames, type CorruptionPolicy, type FrameVisitor } from './frame-scan.js';
import { FILE_HEADER_BYTES, type FileKind, decodeFileHeader } from './record-format.js';
import { createLogFile, isAllZero, truncateFile } from './segment-files.js';

export interface FileRecoveryOptions {
  kind: FileKind;
  isTail: boolean;
  policy: CorruptionPolicy;
  /** fsync repairs (truncation, re-initialised header); false only under fsync `never`. */
  durable: boolean;
  /** Header to write if a torn tail file has no valid header yet. */
  baseSeqIfReset: number;
  warn: (warning: EmbeddedLogError) => void;
}

export interface RecoveredFile {
  /** Length of the file after repairs: where the next frame goes. */
  size: number;
  baseSeq: number;
  /** Damage in the file that was skipped under policy `skip`. */
  skippedBytes: number;
}

export async function recoverFile(file: string, options: FileRecoveryOptions, visit: FrameVisitor): Promise<RecoveredFile> {
  const buf = await fs.readFile(file);
  const header = decodeFileHeader(buf);
  if (!header.ok || header.header.kind !== options.kind) {
    // A crash right after creating the newest file can leave it empty or zero-filled: nothing in it
    // was ever acknowledged, so it is re-initialised. Anything else is not ours to overwrite.
    if (options.isTail && (buf.length < FILE_HEADER_BYTES || isAllZero(buf))) {
      options.warn(
        new EmbeddedLogError('log.header-reinitialised', `re-initialised ${file}: it held no complete header (${buf.length} bytes)`, {
          context: { file, bytes: buf.length },
          hint: 'expected after a crash right after the log created this file; nothing acknowledged was in it',
        }),
      );
      const handle = await createLogFile(file, options.kind, options.baseSeqIfReset, options.durable);
      await handle.close();
      return { size: FILE_HEADER_BYTES, baseSeq: options.baseSeqIfReset, skippedBytes: 0 };
    }
    const reason = header.ok ? `file kind ${header.header.kind}, expected ${options.kind}` : header.reason;
    throw new EmbeddedLogError('log.bad-header', `cannot read ${file}: ${reason}`, {
      context: { file, reason },
      hint: 'the data directory holds a damaged or foreign file; move it away only if you know its contents are not needed, or restore from a backup',
    });
  }

  const scan = scanFrames(buf, FILE_HEADER_BYTES, { isTail: options.isTail, policy: options.policy }, visit);
  if (scan.refused !== undefined) throw corruptionError(file, scan.refused.offset, scan.refused.reason);
  let skippedBytes = 0;
  for (const range of scan.skipped) {
    skippedBytes += range.to - range.from;
    options.warn(
      new EmbeddedLogError(
        'log.corruption-skipped',
        `skipped ${range.to - range.from} damaged bytes in ${file} at byte ${range.from}: ${range.reason}`,
        {
          context: { file, from: range.from, to: range.to, reason: range.reason },
          hint: "onCorruption is 'skip': deliveries stored in these bytes are lost and completions stored there may be handed out again; restore from a backup if that matters",
        },
      ),
    );
  }
  if (scan.tornAt !== undefined) {
    await truncateFile(file, scan.tornAt, options.durable);
    options.warn(
      new EmbeddedLogError(
        'log.torn-tail-truncated',
        `cut ${buf.length - scan.tornAt} bytes of a torn write at the end of ${file} (${scan.tornReason})`,
        {
          context: { file, offset: scan.tornAt, droppedBytes: buf.length - scan.tornAt, reason: scan.tornReason },
          hint: "expected after a crash: under fsync 'always' the cut bytes were never acknowledged; under 'interval' they fall within its documented power-loss window",
        },
      ),
    );
  }
  return { size: scan.tornAt ?? buf.length, baseSeq: header.header.baseSeq, skippedBytes };
}
