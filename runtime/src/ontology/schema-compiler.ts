/**
 * Declared ontologies' JSON Schemas compiled to validators (decision 2183), with Ajv 8 (draft-07).
 *
 * Strict: a schema with an unknown keyword or format, or a type Ajv would have to guess, is
 * refused at deploy rather than half-checked later. Nothing is fetched: no `loadSchema`, and each
 * ontology is compiled by an Ajv of its own, so a `$ref` resolves only within its own schema (or to
 * the draft-07 meta-schema Ajv carries) — a reference to anything else does not compile.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { InvalidArgumentError, type OntologySchema, type OntologySchemas } from '@caxton/core';

/** Ajv's words in a refusal are bounded: a schema may hold long patterns and property names. */
export const MAX_SCHEMA_ERROR = 300;

export type OntologyValidator = ValidateFunction;

/** Compiles one schema; throws Ajv's error when it does not compile. */
export function compileSchema(schema: OntologySchema): OntologyValidator {
  // One Ajv per schema: its cache holds this schema only (dropped with the validator), and no
  // other ontology's `$id` is there for a `$ref` to reach.
  const ajv = new Ajv({ strict: true, allErrors: false, logger: false });
  return ajv.compile(schema as boolean | Record<string, unknown>);
}

/**
 * Each declared schema compiles, or the deploy is refused naming the ontology and Ajv's message.
 * Called at the API boundary, after the declaration's shape and size were checked.
 */
export function checkSchemasCompile(schemas: OntologySchemas, field: string): void {
  for (const [name, schema] of Object.entries(schemas)) {
    try {
      compileSchema(schema);
    } catch (err) {
      throw new InvalidArgumentError(
        `${field}.${name}`,
        `the schema of ontology ${name} does not compile: ${bounded((err as Error).message)}`,
        'a JSON Schema (draft-07) Ajv compiles in strict mode: known keywords and formats only, `type` stated where a keyword needs one, `$ref` only within the schema',
      );
    }
  }
}

/** The first error Ajv found (allErrors is off: it stops at one), as one bounded line. */
export function firstSchemaError(errors: readonly ErrorObject[] | null | undefined): string {
  const e = errors?.[0];
  if (e === undefined) return 'it does not match the schema';
  const where = e.instancePath === '' ? 'the content' : `content${e.instancePath}`;
  const params =
    e.keyword === 'additionalProperties' || e.keyword === 'required' || e.keyword === 'enum' ? ` ${JSON.stringify(e.params)}` : '';
  return bounded(`${where} ${e.message ?? `fails ${e.keyword}`}${params}`);
}

function bounded(text: string): string {
  return text.length > MAX_SCHEMA_ERROR ? `${text.slice(0, MAX_SCHEMA_ERROR - 1)}…` : text;
}
