/**
 * What a Caxton agent signature says: an in-toto Statement v1 whose one subject is the component
 * (its sha256) and whose predicate names the agent build (name, optional version and language).
 * It travels as the payload of a DSSE envelope (dsse.ts) of type `application/vnd.in-toto+json`,
 * so generic in-toto/DSSE tooling can read and verify it. Pure.
 */
import { Buffer } from 'node:buffer';
import { SignatureFormatError } from './dsse.js';

export const STATEMENT_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const AGENT_PREDICATE_TYPE = 'https://caxton.dev/signed-agent/v1';

/** The metadata a signer vouches for, besides the bytes. */
export interface AgentBuildFacts {
  /** Artifact name, e.g. `as-echo` (the file is `<name>.wasm`). */
  name: string;
  version?: string;
  language?: string;
}

export interface AgentStatement extends AgentBuildFacts {
  /** sha256 of the component, lowercase hex. */
  sha256: string;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
const MAX_TEXT = 256;

/** Serialises the statement: the payload bytes that get signed. */
export function statementPayload(s: AgentStatement): Uint8Array {
  if (!SHA256_HEX.test(s.sha256)) throw new SignatureFormatError('sha256 must be 64 lowercase hex characters', 'subject.digest.sha256');
  const predicate: Record<string, string> = { name: s.name };
  if (s.version !== undefined) predicate.version = s.version;
  if (s.language !== undefined) predicate.language = s.language;
  const statement = {
    _type: STATEMENT_TYPE,
    subject: [{ name: `${s.name}.wasm`, digest: { sha256: s.sha256 } }],
    predicateType: AGENT_PREDICATE_TYPE,
    predicate,
  };
  return new Uint8Array(Buffer.from(JSON.stringify(statement), 'utf8'));
}

function text(value: unknown, field: string, required: boolean): string | undefined {
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || value === '' || value.length > MAX_TEXT) {
    throw new SignatureFormatError(`${field} must be a string of 1-${MAX_TEXT} characters`, field);
  }
  return value;
}

/** Reads a statement back from a (verified) payload; throws SignatureFormatError naming the field. */
export function parseStatement(payloadType: string, payload: Uint8Array): AgentStatement {
  if (payloadType !== STATEMENT_PAYLOAD_TYPE)
    throw new SignatureFormatError(`payloadType is ${payloadType}, expected ${STATEMENT_PAYLOAD_TYPE}`, 'payloadType');
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch {
    throw new SignatureFormatError('the payload is not JSON', 'payload');
  }
  const s = (value ?? {}) as Record<string, unknown>;
  if (s._type !== STATEMENT_TYPE) throw new SignatureFormatError(`_type must be ${STATEMENT_TYPE}`, '_type');
  if (s.predicateType !== AGENT_PREDICATE_TYPE)
    throw new SignatureFormatError(`predicateType must be ${AGENT_PREDICATE_TYPE}`, 'predicateType');
  if (!Array.isArray(s.subject) || s.subject.length !== 1)
    throw new SignatureFormatError('subject must list exactly one component', 'subject');
  const digest = ((s.subject[0] ?? {}) as { digest?: { sha256?: unknown } }).digest?.sha256;
  if (typeof digest !== 'string' || !SHA256_HEX.test(digest))
    throw new SignatureFormatError('subject[0].digest.sha256 must be 64 lowercase hex characters', 'subject[0].digest.sha256');
  const p = (s.predicate ?? {}) as Record<string, unknown>;
  const statement: AgentStatement = { sha256: digest, name: text(p.name, 'predicate.name', true)! };
  const version = text(p.version, 'predicate.version', false);
  if (version !== undefined) statement.version = version;
  const language = text(p.language, 'predicate.language', false);
  if (language !== undefined) statement.language = language;
  return statement;
}
