/**
 * Typed errors of the FIPA message transport codecs (SC00084 HTTP MTP, SC00085 XML envelope): a
 * post that is not a well-formed transport message in the subset Caxton reads. Each names the rule
 * it broke (`xml.dtd`, `multipart.parts`, …) so the ACC answers with it and tests can tell them apart.
 */
import { CaxtonError, type ErrorKind } from '../errors.js';

export class MtpFormatError extends CaxtonError {
  readonly rule: string;

  constructor(rule: string, message: string, hint: string, kind: ErrorKind = 'invalid-argument') {
    super('mtp.malformed', message, { kind, context: { rule }, hint });
    this.rule = rule;
  }
}
