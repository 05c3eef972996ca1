/**
 * Idempotency keys of SendMessage (decision 1700): the one rule, shared by the API (which refuses
 * a bad key before anything is sent) and the CLI (which refuses it before dialling). A key is
 * chosen by the client to name one logical send; it ends up in error messages and logs, so it is
 * kept short and free of control characters (a newline in a key would forge log lines).
 */
import { CaxtonError } from '../errors.js';
import { InvalidArgumentError } from './errors.js';

/** A key that passed `idempotencyKeyProblem`: only `parseIdempotencyKey` makes one. */
export type IdempotencyKey = string & { readonly __idempotencyKey: unique symbol };

export const IDEMPOTENCY_KEY_MAX_BYTES = 128;
export const IDEMPOTENCY_KEY_HINT = `use 1-${IDEMPOTENCY_KEY_MAX_BYTES} bytes of UTF-8 without control characters, e.g. a UUID generated once per logical message and reused on every retry`;

// C0 controls, DEL and C1 controls.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;
// TextEncoder rather than Buffer: core also runs in the console's browser bundle.
const UTF8 = new TextEncoder();
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why `text` is not a usable key, or undefined when it is. The empty string means "no key" and is not checked here. */
export function idempotencyKeyProblem(text: string): string | undefined {
  const bytes = UTF8.encode(text).length;
  if (bytes > IDEMPOTENCY_KEY_MAX_BYTES) return `is ${bytes} bytes of UTF-8; at most ${IDEMPOTENCY_KEY_MAX_BYTES} are allowed`;
  const control = CONTROL.exec(text);
  if (control)
    return `contains the control character U+${control[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} at index ${control.index}`;
  // A lone surrogate cannot be encoded as UTF-8: the bytes a retry sends would differ.
  if (LONE_SURROGATE.test(text)) return 'is not well-formed Unicode (a lone surrogate)';
  return undefined;
}

/**
 * `''` → undefined (no key: proto3 leaves an unset string empty); a valid key → the typed key;
 * anything else → InvalidArgumentError naming `field`, with the rule as hint.
 */
export function parseIdempotencyKey(text: string | undefined, field = 'idempotency_key'): IdempotencyKey | undefined {
  if (text === undefined || text === '') return undefined;
  const problem = idempotencyKeyProblem(text);
  if (problem !== undefined) throw new InvalidArgumentError(field, problem, IDEMPOTENCY_KEY_HINT);
  return text as IdempotencyKey;
}

/**
 * The key was used before, by the same caller, for a different message (different receivers,
 * content, performative…). Refused rather than answered with the first message's id: the caller
 * would believe its second message was sent. ALREADY_EXISTS on the wire (decision 1700).
 */
export class IdempotencyKeyReusedError extends CaxtonError {
  constructor(key: string, firstMessageId: string, windowMs: number) {
    super(
      'node.idempotency-key-reused',
      `idempotency key ${JSON.stringify(key)} was already used for a different message (${firstMessageId})`,
      {
        kind: 'already-exists',
        context: { idempotencyKey: key, messageId: firstMessageId },
        hint: `a retry must repeat the same message (receivers, content, every parameter); give a new message a new key — a key is remembered for ${Math.round(windowMs / 60_000)} minutes`,
      },
    );
  }
}
