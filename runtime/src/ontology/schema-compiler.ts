/**
 * Declared ontologies' JSON Schemas compiled to validators (decision 2183), with Ajv 8 (draft-07);
 * XML Schemas (decision 2190) compiled by libxml2 (xml-schema.ts) and kept beside them.
 *
 * Strict about keywords: a schema with an unknown keyword or format is refused at deploy rather
 * than half-checked later; one that leaves a `required` property or a tuple's length unstated is not. Nothing is fetched: no `loadSchema`, and each
 * ontology is compiled by an Ajv of its own. A `$ref` must point into its own schema (`#…`): one to
 * any other URI is refused before Ajv is asked, even one Ajv could resolve (the draft-07
 * meta-schema it carries), so what a schema checks is all in the operator's file.
 */
import { createHash } from 'node:crypto';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import {
  checkOntologies,
  InvalidArgumentError,
  isXmlSchema,
  ONTOLOGY_LIMITS,
  type OntologySchema,
  type OntologySchemas,
} from '@caxton/core';
import { XmlSchemaCheck } from './xml-schema.js';

/** Ajv's words in a refusal are bounded: a schema may hold long patterns and property names. */
export const MAX_SCHEMA_ERROR = 300;

export type OntologyValidator = ValidateFunction;

/** An ontology's schema compiled: a JSON Schema's validator, or an XML Schema's check (decision 2190). */
export type CompiledOntology = { kind: 'json'; validate: OntologyValidator } | { kind: 'xml'; check: XmlSchemaCheck };
/** Values of an `enum` a refusal shows. */
const ENUM_SHOWN = 8;

/** Compiles one schema; throws Ajv's error when it does not compile. */
export function compileSchema(schema: OntologySchema): OntologyValidator {
  // One Ajv per schema: its cache holds this schema only (dropped with the validator), and no
  // other ontology's `$id` is there for a `$ref` to reach.
  // Strict about what the schema says (an unknown keyword or format is refused, not silently
  // ignored; numbers are finite) but not about what it leaves out: strictRequired, strictTuples
  // and strictTypes refuse ordinary schemas such as {"type": "object", "required": ["id"]}.
  const ajv = new Ajv({
    strictSchema: true,
    strictNumbers: true,
    strictRequired: false,
    strictTuples: false,
    strictTypes: false,
    allErrors: false,
    logger: false,
  });
  return ajv.compile(schema as boolean | Record<string, unknown>);
}

/**
 * Validators by the sha256 of their schema's JSON text, least recently used first (a Map keeps
 * insertion order; a hit is moved to the end). Ajv's compile is synchronous and costly, and the same
 * schema arrives as many objects: parsed at deploy, read back from the record on each node, re-read
 * after every registry put in a cluster. A schema's stored form is the JSON it was parsed from, so
 * equal schemas have equal text. Process-wide: the key is the schema itself, whoever declared it.
 */
const compiled = new Map<string, CompiledOntology>();

/**
 * The compiled form of `schema`, kept while it is among the most recently used; throws Ajv's or
 * libxml2's error. One pushed out stays usable by the deployments that hold it (an XML Schema's
 * libxml2 memory is freed by its finalizer once none does).
 */
export function compiledSchema(schema: OntologySchema): CompiledOntology {
  const key = createHash('sha256').update(JSON.stringify(schema)).digest('base64');
  let entry = compiled.get(key);
  if (entry !== undefined) {
    compiled.delete(key);
  } else {
    entry = isXmlSchema(schema)
      ? { kind: 'xml', check: new XmlSchemaCheck(schema.$xmlSchema) }
      : { kind: 'json', validate: compileSchema(schema) };
    if (compiled.size >= ONTOLOGY_LIMITS.maxCachedValidators) compiled.delete(compiled.keys().next().value!);
  }
  compiled.set(key, entry);
  return entry;
}

/**
 * A deploy's or upgrade's declared ontologies, checked once where the lifecycle takes the spec
 * (AgentLifecycle.deploy/upgrade, whoever calls them): core's pure bounds and refusals first (a
 * spec built in code never went through parseOntologies, and they bound the recursion below), then
 * no `$ref` outside a schema, then each compiles (kept: the first message naming it finds it), or
 * the deploy is refused naming the ontology and Ajv's message.
 */
export function checkDeclaredOntologies(schemas: OntologySchemas, field: string): void {
  checkOntologies(schemas, field);
  for (const [name, schema] of Object.entries(schemas)) {
    if (isXmlSchema(schema)) {
      try {
        compiledSchema(schema);
      } catch (err) {
        throw new InvalidArgumentError(
          `${field}.${name}`,
          `the XML Schema of ontology ${name} does not compile: ${bounded(firstLineOf(err))}`,
          'an XML Schema 1.0 document (xs:schema) that libxml2 compiles, all in one document',
        );
      }
      continue;
    }
    const outside = refOutside(schema);
    if (outside !== undefined)
      throw new InvalidArgumentError(
        `${field}.${name}`,
        `the schema of ontology ${name} refers outside itself: $ref ${bounded(JSON.stringify(outside))}`,
        'a $ref may only point into its own schema ("#/definitions/…"): copy what it refers to into the schema',
      );
    try {
      compiledSchema(schema); // kept: the first message naming it finds it compiled
    } catch (err) {
      throw new InvalidArgumentError(
        `${field}.${name}`,
        `the schema of ontology ${name} does not compile: ${bounded((err as Error).message)}`,
        'a JSON Schema (draft-07) Ajv compiles with strictSchema: known keywords only, no formats, `$ref` only within the schema',
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
    e.keyword === 'enum'
      ? ` ${enumParams(e.params)}`
      : e.keyword === 'additionalProperties' || e.keyword === 'required'
        ? ` ${JSON.stringify(e.params)}`
        : '';
  return bounded(`${where} ${e.message ?? `fails ${e.keyword}`}${params}`);
}

/** An enum may list 1,000 values, each large: a few are shown, each bounded, before the line is. */
function enumParams(params: Record<string, unknown>): string {
  const values = Array.isArray(params['allowedValues']) ? (params['allowedValues'] as unknown[]) : [];
  const shown = values.slice(0, ENUM_SHOWN).map((v) => bounded(JSON.stringify(v) ?? 'null'));
  if (values.length > ENUM_SHOWN) shown.push('…');
  return `{"allowedValues":[${shown.join(',')}]}`;
}

/** Keywords whose values are data, not schemas: a `$ref` inside them is a value, not a reference. */
const DATA_KEYWORDS = new Set(['enum', 'const', 'default', 'examples']);

/** The first `$ref` that does not point into the schema itself (`#…`), or undefined. The schema is bounded (128 KiB). */
function refOutside(value: unknown): string | undefined {
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = refOutside(item);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, child] of Object.entries(value)) {
    if (key === '$ref' && typeof child === 'string' && !child.startsWith('#')) return child;
    if (DATA_KEYWORDS.has(key)) continue;
    const found = refOutside(child);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** libxml2 puts one error a line, the first is the cause. */
function firstLineOf(err: unknown): string {
  return ((err as Error).message ?? String(err)).split('\n').find((l) => l.trim() !== '') ?? 'no message';
}

function bounded(text: string): string {
  return text.length > MAX_SCHEMA_ERROR ? `${text.slice(0, MAX_SCHEMA_ERROR - 1)}…` : text;
}
