/**
 * Writes a small secret-bearing file whole or not at all: temporary file (0600, O_EXCL) + fsync +
 * rename, so a crash leaves either the old content or the new, never half of it. Token files
 * (decision 1401) and the issued-token list (decision 1760) are written this way.
 */
import { constants as fsConstants, promises as fs } from 'node:fs';

export async function writeFileAtomically(file: string, content: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.rm(tmp, { force: true });
  const handle = await fs.open(tmp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o600);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(tmp, file);
}
