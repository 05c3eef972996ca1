/**
 * A FileHandle write that writes every byte. `FileHandle.write` may write fewer bytes than asked
 * (rare on regular files: a signal, a nearly full disk); a caller that counts the frame as written
 * anyway leaves a torn frame it believes whole, followed by the next frame. This continues from
 * where a short write stopped and refuses a write that makes no progress instead of looping.
 */
import type { FileHandle } from 'node:fs/promises';

export async function writeFully(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, written, bytes.length - written);
    if (bytesWritten <= 0) throw new Error(`write made no progress at byte ${written} of ${bytes.length}`);
    written += bytesWritten;
  }
}
