/**
 * The bounds of a deployment's declared ontologies (`caxton deploy --ontology name=schema.json`,
 * decision 2183): node-wide rules on the data, checked when the JSON text is parsed (the CLI before
 * it uploads, the API) and again where the lifecycle takes the spec, before the schemas are compiled
 * and stored with the deployment. Every send naming one of them is checked against its schema on
 * the bus's thread, with content its sender chose, so the whole is kept small and cheap to check.
 */
export const ONTOLOGY_LIMITS = Object.freeze({
  /** Ontologies one deployment may declare. */
  maxOntologies: 16,
  /** An ontology's name, in UTF-16 code units. */
  maxNameLength: 128,
  /** The whole declaration's JSON text (every schema together), in UTF-8 bytes. */
  maxTotalBytes: 128 * 1024,
  /**
   * Levels of nesting (objects and arrays) in one schema. Validation and the checks before it walk
   * a schema recursively; a bound keeps every walk far from the stack's end and Ajv's compile short.
   */
  maxDepth: 32,
  /** Objects and arrays in all the schemas together: Ajv's compile is synchronous and grows with them. */
  maxNodes: 2_000,
  /** Values one `enum` lists: each message is compared against every one of them. */
  maxEnumValues: 1_000,
  /**
   * The `maxItems` a schema with `uniqueItems: true` must state, at most: Ajv compares objects
   * pairwise, so a sender's long array of objects would hold the bus thread for seconds.
   */
  maxUniqueItems: 256,
  /**
   * Compiled validators a node keeps, by their schema's text (least recently used out): the deploy's
   * compile, every node's first check and a cluster's re-read records all find the one compile.
   */
  maxCachedValidators: 256,
  /**
   * Markup (`<` characters: tags, comments, instructions) in the content of a message checked against
   * an XML Schema (decision 2190), counted before libxml2 parses it. libxml2 reports every error it
   * finds, each with its element's path (about 90 µs an error on a loaded machine, and a walk of the
   * earlier siblings): content of 31,000 wrong elements held the thread ~3 s, 128 ~11 ms. A valid
   * document at the bound checks in well under a millisecond.
   */
  maxXmlMarkup: 256,
});
