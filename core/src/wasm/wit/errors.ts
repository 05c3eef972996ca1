import { CaxtonError } from '../../errors.js';

/** A WIT text the reader cannot read: a syntax error, or a construct outside the subset it knows. */
export class WitReadError extends CaxtonError {
  constructor(message: string, line: number, column: number) {
    super('wit.invalid', `wit:${line}:${column}: ${message}`, {
      kind: 'invalid-argument',
      context: { line, column },
      hint: 'fix the WIT at that line and column; the reader knows interfaces of records, enums, variants, type aliases and functions, and worlds of whole-interface imports and exports',
    });
  }
}
