/**
 * Compiled validators of the deployments' declared ontologies (decision 2183), found on the first
 * message that names one and kept while the deployment's version is.
 *
 * Two levels. The first is keyed by the version's own schemas object (the record's `ontologies`),
 * so the hot path is a weak-map and a map lookup, and a record's entry goes with it. On a miss the
 * validator comes from the process's compiled validators, keyed by the schema's text (bounded,
 * least recently used out): a record read again after a cluster's registry put, a redeploy with the
 * same schema or the deploy's own check does not compile it again.
 */
import type { OntologySchemas } from '@caxton/core';
import { compiledSchema, type CompiledOntology } from './schema-compiler.js';

export class OntologyValidators {
  private readonly byVersion = new WeakMap<OntologySchemas, Map<string, CompiledOntology>>();

  /** The compiled schema of `ontology` in `schemas` (which declares it); throws Ajv's or libxml2's error if it does not compile. */
  of(schemas: OntologySchemas, ontology: string): CompiledOntology {
    let compiled = this.byVersion.get(schemas);
    if (compiled === undefined) this.byVersion.set(schemas, (compiled = new Map()));
    let validate = compiled.get(ontology);
    if (validate === undefined) {
      validate = compiledSchema(schemas[ontology]!);
      compiled.set(ontology, validate);
    }
    return validate;
  }
}
