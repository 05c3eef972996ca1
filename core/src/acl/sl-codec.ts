/**
 * The FIPA ACL string representation (SC00070), for talking to JADE and other FIPA platforms.
 * Lexing, parsing and printing live in sl-lexer.ts, sl-parser.ts and sl-printer.ts; this module
 * is the public entry point that adds size limits and model validation around them.
 */
import type { FipaDateTimeOptions } from './datetime.js';
import { DEFAULT_ACL_LIMITS, type AclLimits } from './limits.js';
import type { AclMessage } from './message.js';
import { wrongType } from './shape.js';
import { parseAclString } from './sl-parser.js';
import { printAclString } from './sl-printer.js';
import { checkEncodedSize, validateAclMessage } from './validate.js';

export interface AclStringDecodeOptions extends FipaDateTimeOptions {
  /**
   * Also accept what JADE's parser accepts although SC00070 forbids it: Words starting with `@`,
   * an unquoted Word as `:content`, a quoted string as `:protocol`. Default false.
   */
  lenient?: boolean;
  limits?: AclLimits;
}

/**
 * Text in the FIPA string representation -> validated `AclMessage`. Throws `AclParseError`
 * (`acl.malformed`, with line/column) for text that is not a message, `AclValidationError`
 * (`acl.invalid`) for a readable message that breaks a model rule or limit.
 */
export function decodeAclString(text: string, opts: AclStringDecodeOptions = {}): AclMessage {
  if (typeof text !== 'string') throw wrongType('message', 'a string', text);
  const limits = opts.limits ?? DEFAULT_ACL_LIMITS;
  checkEncodedSize(text, limits);
  const parseOpts: Parameters<typeof parseAclString>[1] = { lenient: opts.lenient === true, limits };
  if (opts.now !== undefined) parseOpts.now = opts.now;
  if (opts.localTimeOffsetMinutes !== undefined) parseOpts.localTimeOffsetMinutes = opts.localTimeOffsetMinutes;
  const msg = parseAclString(text, parseOpts);
  validateAclMessage(msg, limits);
  return msg;
}

/** `AclMessage` -> FIPA string representation that SC00070 parsers and JADE read back unchanged. */
export function encodeAclString(msg: AclMessage): string {
  return printAclString(msg);
}
