/**
 * Typed errors of the ACL layer. Two kinds, both carrying a stable `rule` id so callers (and tests)
 * can tell failures apart without parsing messages:
 * - `AclParseError` (`acl.malformed`): the bytes are not a message in the claimed format at all
 *   (bad JSON, unbalanced parentheses, unterminated string…). Carries the position of the problem.
 * - `AclValidationError` (`acl.invalid`): the text was readable, but a field breaks a rule of the
 *   model (unknown performative, bad agent name, oversized content…). Names the field.
 */
import { CaxtonError, type ErrorContext } from '../errors.js';

/** Common base so callers can catch "anything the ACL layer rejects" with one `instanceof`. */
export abstract class AclError extends CaxtonError {
  /** Stable id of the broken rule, e.g. `performative.unknown`, `string.unterminated`. */
  readonly rule: string;

  protected constructor(code: string, rule: string, message: string, context: ErrorContext, hint: string | undefined) {
    // Whether unreadable or breaking a rule, the sender has to change the message.
    super(code, message, hint === undefined ? { kind: 'invalid-argument', context } : { kind: 'invalid-argument', context, hint });
    this.rule = rule;
  }
}

export class AclValidationError extends AclError {
  /** Path of the offending field in the model, e.g. `receivers[2].name`, `userParams.X-foo`. */
  readonly field: string;

  constructor(field: string, rule: string, message: string, hint?: string) {
    super('acl.invalid', rule, `invalid ACL message: ${field}: ${message}`, { field, rule }, hint);
    this.field = field;
  }
}

export type AclWireFormat = 'json' | 'string';

export interface AclParseErrorDetails {
  format: AclWireFormat;
  rule: string;
  message: string;
  /** Offset of the problem in the input, in UTF-16 code units (JavaScript string index). */
  position: number;
  /** The whole input, used only to compute line/column; not stored. */
  input: string;
  hint?: string;
}

export class AclParseError extends AclError {
  readonly format: AclWireFormat;
  readonly position: number;
  /** 1-based line of `position`. */
  readonly line: number;
  /** 1-based column of `position`, in UTF-16 code units. */
  readonly column: number;

  constructor(d: AclParseErrorDetails) {
    const { line, column } = lineAndColumn(d.input, d.position);
    super(
      'acl.malformed',
      d.rule,
      `malformed ACL ${d.format === 'json' ? 'JSON' : 'string'} at line ${line}, column ${column}: ${d.message}`,
      { format: d.format, rule: d.rule, position: d.position, line, column },
      d.hint,
    );
    this.format = d.format;
    this.position = d.position;
    this.line = line;
    this.column = column;
  }
}

export function isAclError(e: unknown): e is AclError {
  return e instanceof AclError;
}

/** Only called when building an error (cold path), so a simple scan is fine. */
function lineAndColumn(input: string, position: number): { line: number; column: number } {
  const end = Math.max(0, Math.min(position, input.length));
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < end; i++) {
    if (input.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}
