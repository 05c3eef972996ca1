/**
 * A deployment's declared ontologies (issue 61, decision 2183): ontology name → the JSON Schema a
 * message's content must match when it names that ontology. Pure: the declaration's JSON text is
 * parsed strictly, against ONTOLOGY_LIMITS, into the value stored with the deployment. Whether each
 * schema compiles is the runtime's question (it owns the validator); this checks the shape only.
 *
 * A schema is a parsed JSON value, an object or a boolean (JSON Schema's `true` accepts anything,
 * `false` nothing). XML Schema is not accepted: content checked here is JSON.
 */
import { ONTOLOGY_LIMITS } from './limits/index.js';
import { InvalidArgumentError } from './errors.js';

/** Ontology name → its JSON Schema (a parsed JSON object or boolean). */
export type OntologySchemas = Record<string, OntologySchema>;
export type OntologySchema = boolean | { readonly [key: string]: unknown };

/** A name as FIPA messages carry it in `:ontology`: a letter or digit, then letters, digits and `._:/-`. */
export const ONTOLOGY_NAME = /^[A-Za-z0-9][A-Za-z0-9._:/-]*$/;
const HINT =
  'a JSON object of ontology name → JSON Schema (an object or a boolean), e.g. {"orders": {"type": "object"}}; docs/acl.md (declared ontologies) says how they are checked';

export function parseOntologies(text: string, field = 'ontologies'): OntologySchemas {
  // Every code unit is at least one UTF-8 byte: a text longer than the bound is not encoded to learn so.
  const bytes = text.length > ONTOLOGY_LIMITS.maxTotalBytes ? text.length : new TextEncoder().encode(text).byteLength;
  if (bytes > ONTOLOGY_LIMITS.maxTotalBytes) {
    throw new InvalidArgumentError(
      field,
      `the ontologies' schemas are at least ${bytes} bytes, more than ${ONTOLOGY_LIMITS.maxTotalBytes}`,
      'declare smaller schemas: each is compiled and checked against every message naming it',
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new InvalidArgumentError(field, `is not JSON: ${(err as Error).message.slice(0, 200)}`, HINT);
  }
  return checkOntologies(raw, field);
}

/**
 * A declaration already parsed from JSON (a registry record read back), checked the same way but
 * for the byte bound, which the text it was parsed from was held to.
 */
export function checkOntologies(raw: unknown, field = 'ontologies'): OntologySchemas {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new InvalidArgumentError(field, 'must be a JSON object', HINT);
  const names = Object.keys(raw);
  if (names.length === 0)
    throw new InvalidArgumentError(field, 'declares no ontology', 'leave the declaration out to declare none, or name one');
  if (names.length > ONTOLOGY_LIMITS.maxOntologies)
    throw new InvalidArgumentError(
      field,
      `declares ${names.length} ontologies, more than ${ONTOLOGY_LIMITS.maxOntologies}`,
      'declare fewer; an agent that speaks more may be split into several',
    );
  const out: OntologySchemas = {};
  for (const name of names) {
    if (name.length > ONTOLOGY_LIMITS.maxNameLength)
      throw new InvalidArgumentError(
        field,
        `a name is ${name.length} characters, more than ${ONTOLOGY_LIMITS.maxNameLength}`,
        'shorten it',
      );
    // The name is shown as JSON until it is known to be plain: a hostile one may hold control characters.
    if (!ONTOLOGY_NAME.test(name))
      throw new InvalidArgumentError(
        field,
        `${JSON.stringify(name)} is not an ontology name`,
        'a letter or digit, then letters, digits and . _ : / - (what a message sets as its ontology)',
      );
    const at = `${field}.${name}`;
    const schema = (raw as Record<string, unknown>)[name];
    if (typeof schema !== 'boolean' && (typeof schema !== 'object' || schema === null || Array.isArray(schema)))
      throw new InvalidArgumentError(at, 'must be a JSON Schema: an object or a boolean', HINT);
    out[name] = schema as OntologySchema;
  }
  return out;
}
