/**
 * A deployment's declared ontologies (issue 61, decision 2183): ontology name → the JSON Schema a
 * message's content must match when it names that ontology. Pure: the declaration's JSON text is
 * parsed strictly, against ONTOLOGY_LIMITS, into the value stored with the deployment: its shape,
 * size and what a schema may cost a node (checkSchemaCost). Whether each schema compiles is the
 * runtime's question (it owns the validator).
 *
 * A schema is a parsed JSON value, an object or a boolean (JSON Schema's `true` accepts anything,
 * `false` nothing), or an XML Schema carried as `{"$xmlSchema": "<xs:schema …>"}` for content in
 * XML (decision 2190): an object with that one key, which no JSON Schema Ajv compiles in strict mode
 * can be, so the two never meet.
 */
import { ONTOLOGY_LIMITS } from './limits/index.js';
import { InvalidArgumentError } from './errors.js';

/** Ontology name → its JSON Schema (a parsed JSON object or boolean). */
export type OntologySchemas = Record<string, OntologySchema>;
export type OntologySchema = boolean | { readonly [key: string]: unknown };

/** A name as FIPA messages carry it in `:ontology`: a letter or digit, then letters, digits and `._:/-`. */
export const ONTOLOGY_NAME = /^[A-Za-z0-9][A-Za-z0-9._:/-]*$/;
const HINT =
  'a JSON object of ontology name → JSON Schema (an object or a boolean) or {"$xmlSchema": "<xs:schema …>"}, e.g. {"orders": {"type": "object"}}; docs/acl.md (declared ontologies) says how they are checked';

/** The one key of an XML Schema declaration: its value is the schema document's text (decision 2190). */
export const XML_SCHEMA_KEY = '$xmlSchema';

/** An ontology whose content is XML, checked against an XML Schema (decision 2190). */
export type XmlSchemaDeclaration = { readonly $xmlSchema: string } & { readonly [key: string]: unknown };

/** Is `schema` an XML Schema declaration (an object whose one key is `$xmlSchema`)? */
export function isXmlSchema(schema: OntologySchema): schema is XmlSchemaDeclaration {
  return typeof schema === 'object' && Object.hasOwn(schema, XML_SCHEMA_KEY);
}

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
    if (isXmlSchema(schema as OntologySchema)) checkXmlSchemaText(schema as Record<string, unknown>, name, at);
    out[name] = schema as OntologySchema;
  }
  checkSchemaCost(out, field);
  return out;
}

/**
 * An XML Schema declaration, before anything parses it (decision 2190): `$xmlSchema` alone, a
 * non-empty text, and nothing in it that would reach outside the operator's file or expand while
 * parsed — no `schemaLocation` (`xs:include`, `xs:import`, `xs:redefine`, `xs:override` name other
 * documents; nothing is fetched, so they could only fail or mislead), no DTD (`<!DOCTYPE`,
 * `<!ENTITY`: entity expansion is the classic amplification).
 */
function checkXmlSchemaText(schema: Record<string, unknown>, name: string, at: string): void {
  const refuse = (why: string, hint: string): never => {
    throw new InvalidArgumentError(at, `the XML Schema of ontology ${name} ${why}`, hint);
  };
  if (Object.keys(schema).length !== 1)
    refuse(
      `has keys beside ${XML_SCHEMA_KEY}`,
      `give {"${XML_SCHEMA_KEY}": "<xs:schema …>"} alone: a JSON Schema cannot be an XML Schema too`,
    );
  const text = schema[XML_SCHEMA_KEY];
  if (typeof text !== 'string' || text.trim() === '')
    refuse('is not a text', `give the schema document as the string value of ${XML_SCHEMA_KEY}`);
  const source = text as string;
  // C0 controls (but tab, LF, CR) are no XML, and with them libxml2 could read the text as UTF-16
  // and see a DTD or a schemaLocation the checks below did not.
  if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/.test(source))
    refuse('holds characters XML does not allow', 'give the schema as UTF-8 text without control characters');
  if (source.includes('<!DOCTYPE') || source.includes('<!ENTITY'))
    refuse('holds a DTD', 'leave the DOCTYPE and entities out: the schema is parsed with none');
  // libxml2's regular expressions backtrack, as Node's do: a sender's value would hold the bus
  // thread (`(a|aa)*b` doubles every two characters). Refused as JSON Schema's `pattern` is.
  if (/<([A-Za-z_][\w.-]*:)?pattern[\s/>]/.test(source))
    refuse(
      'uses a pattern facet (xs:pattern)',
      `leave xs:pattern out (check the strings' shape in the agent, or use enumeration, length, minLength and maxLength): ${SENDER_COST}, and libxml2's regular expressions backtrack`,
    );
  if (source.includes('schemaLocation'))
    refuse(
      'refers to another document (schemaLocation)',
      'copy what xs:include or xs:import names into the one schema document: nothing outside it is read',
    );
}

/** Keywords whose values are data, not schemas: what is inside them is a value (a `pattern` there is a string). */
const DATA_KEYWORDS: ReadonlySet<string> = new Set(['enum', 'const', 'default', 'examples']);
/** Keywords whose value maps names (property names, definition names) to schemas: its keys are not keywords. */
const NAME_MAPS = new Set(['properties', 'patternProperties', 'definitions', '$defs', 'dependencies', 'dependentSchemas']);
const SENDER_COST = "each message naming the ontology is checked on the bus's thread against content its sender chose";

/**
 * What a schema may cost the node, checked before anything compiles it (decision 2183). A message's
 * sender chooses the content the schema is run against, on the bus's thread, so a schema is refused
 * when its check could be made slow by that content: `$async` (a validator that answers later, which
 * the bus cannot wait for), `pattern` and `patternProperties` (Node's regular expressions backtrack:
 * `^(a+)+$` takes seconds on 30 characters), `uniqueItems` without a small `maxItems` (objects are
 * compared pairwise), a long `enum`; and nesting and size are bounded, so compiling is short and no
 * walk of a schema (here, the runtime's, Ajv's) comes near the stack's end. Iterative: a hostile
 * nesting is refused, not recursed into.
 */
function checkSchemaCost(schemas: OntologySchemas, field: string): void {
  type Role = 'schema' | 'map' | 'data';
  let nodes = 0;
  for (const [name, root] of Object.entries(schemas)) {
    if (isXmlSchema(root)) continue; // its text is bounded with the rest; libxml2 parses it, not a walk
    const at = `${field}.${name}`;
    const refuse = (path: string, why: string, hint: string): never => {
      const where = path === '' ? 'as a whole' : `at ${JSON.stringify(path.length > 200 ? `${path.slice(0, 199)}…` : path)}`;
      throw new InvalidArgumentError(at, `the schema of ontology ${name} ${where}: ${why}`, hint);
    };
    const stack: { value: unknown; role: Role; depth: number; path: string }[] = [{ value: root, role: 'schema', depth: 1, path: '' }];
    for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
      const { value, role, depth, path } = next;
      if (typeof value !== 'object' || value === null) continue;
      if (depth > ONTOLOGY_LIMITS.maxDepth)
        refuse(
          path,
          `nests deeper than ${ONTOLOGY_LIMITS.maxDepth} levels`,
          `flatten the schema; ${SENDER_COST}, and it is compiled when deployed`,
        );
      if (++nodes > ONTOLOGY_LIMITS.maxNodes)
        refuse(
          path,
          `the schemas hold more than ${ONTOLOGY_LIMITS.maxNodes} objects and arrays in all`,
          'declare smaller schemas: compiling them holds the node, and they are compiled when deployed and on every node that checks them',
        );
      const childDepth = depth + 1;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) stack.push({ value: value[i], role, depth: childDepth, path: `${path}/${i}` });
        continue;
      }
      const entries = Object.entries(value);
      if (role === 'data' || role === 'map') {
        const childRole: Role = role === 'map' ? 'schema' : 'data';
        for (const [key, child] of entries) stack.push({ value: child, role: childRole, depth: childDepth, path: `${path}/${key}` });
        continue;
      }
      for (const [key, child] of entries) {
        const here = `${path}/${key}`;
        if (key === '$async')
          refuse(here, 'is $async', `leave $async out: the bus checks content while it routes the message and cannot wait for an answer`);
        if (key === 'pattern' || key === 'patternProperties')
          refuse(
            here,
            `uses ${key}`,
            `leave ${key} out (check the strings' shape in the agent, or use enum, const, minLength and maxLength): ${SENDER_COST}, and Node's regular expressions backtrack, so a pattern such as ^(a+)+$ takes seconds on a short string`,
          );
        if (key === 'uniqueItems' && child === true) {
          const max = (value as Record<string, unknown>)['maxItems'];
          if (typeof max !== 'number' || max > ONTOLOGY_LIMITS.maxUniqueItems)
            refuse(
              here,
              `asks uniqueItems without maxItems of at most ${ONTOLOGY_LIMITS.maxUniqueItems} beside it`,
              `state "maxItems" (at most ${ONTOLOGY_LIMITS.maxUniqueItems}) in the same schema: items are compared pairwise, and ${SENDER_COST}`,
            );
        }
        if (key === 'enum' && Array.isArray(child) && child.length > ONTOLOGY_LIMITS.maxEnumValues)
          refuse(
            here,
            `lists ${child.length} values, more than ${ONTOLOGY_LIMITS.maxEnumValues}`,
            `list at most ${ONTOLOGY_LIMITS.maxEnumValues}, or check membership in the agent: ${SENDER_COST}`,
          );
        const childRole: Role = DATA_KEYWORDS.has(key) ? 'data' : NAME_MAPS.has(key) ? 'map' : 'schema';
        stack.push({ value: child, role: childRole, depth: childDepth, path: here });
      }
    }
  }
}
