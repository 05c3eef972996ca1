/**
 * `caxton deploy|upgrade --a2a-card card.json` (decision 1951): the operator's A2A Agent Card,
 * read with its size checked before it is read and validated here by the same parser the node
 * runs, so a wrong card fails before the artifact is built or uploaded. The node checks it again:
 * the CLI is not the only client.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { A2A_CARD_LIMITS, isCaxtonError, parseA2aCard } from '@caxton/core';
import { UsageError } from './cli-error.js';

/** The card file's text, checked; undefined without the flag. */
export async function a2aCardFromFlag(file: string | undefined, cwd: string): Promise<string | undefined> {
  if (file === undefined) return undefined;
  const flag = `--a2a-card ${file}`;
  const handle = await open(path.resolve(cwd, file), constants.O_RDONLY | constants.O_NONBLOCK).catch((err: Error) => {
    throw new UsageError(`${flag}: ${err.message}`);
  });
  let text: string;
  try {
    const st = await handle.stat();
    // A device or FIFO has no size to check (0): refused, not read without end.
    if (!st.isFile()) throw new UsageError(`${flag} is not a regular file`, "give the path of the card's JSON file");
    const { size } = st;
    if (size > A2A_CARD_LIMITS.maxCardBytes) {
      throw new UsageError(
        `${flag} is ${size} bytes, more than the ${A2A_CARD_LIMITS.maxCardBytes} a card may have`,
        'shorten descriptions and examples',
      );
    }
    text = await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
  try {
    parseA2aCard(text, 'a2a card');
  } catch (err) {
    if (isCaxtonError(err)) throw new UsageError(`${flag}: ${err.message}`, err.hint);
    throw err;
  }
  return text;
}
