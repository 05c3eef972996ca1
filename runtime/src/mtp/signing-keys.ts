/**
 * `--mtp-signing-key-file` (decision 2188): the platform's Ed25519 signing keys, one
 * `<keyId> <base64 32-byte seed>` per line in a key ring file (signing/key-file.ts: the format,
 * size and mode rules of every key ring a node reads). Read and checked once, at start: an
 * unreadable file or a bad line is `mtp.bad-config`, before the node posts anything.
 */
import { parseKeyLines, readKeyFileSync } from '../signing/key-file.js';
import { MtpConfigError } from './errors.js';
import { MtpSigningRing } from './message-signature.js';

const WHAT = 'MTP signing key';
const refuse = (message: string, hint: string): MtpConfigError => new MtpConfigError(message, hint);

/** The ring of the key file's text; `source` names the file in errors. */
export function parseMtpSigningKeys(text: string, source: string): MtpSigningRing {
  const lines = parseKeyLines(text, source, WHAT, refuse);
  try {
    return new MtpSigningRing(lines, refuse);
  } catch (err) {
    // The ring's refusals (a wrong length, an id twice) name the key: say the file too.
    if (err instanceof MtpConfigError) throw new MtpConfigError(`${source}: ${err.message}`, err.hint ?? '');
    throw err;
  }
}

export function readMtpSigningKeys(file: string): MtpSigningRing {
  return parseMtpSigningKeys(readKeyFileSync(file, WHAT, refuse, 'docs/interop.md § Signed messages'), file);
}
