/**
 * Compiled validators of the deployments' declared ontologies (decision 2183), compiled on the
 * first message that names one and kept while the deployment's version is.
 *
 * Keyed by the version's own schemas object (the record's `ontologies`), not by name and version:
 * a record read again, upgraded or redeployed (which restarts the version count) carries a new
 * object, so a validator can never outlive the schema it was compiled from, and a weak map drops
 * it with the record — no eviction to tune, no bound to reach.
 */
import type { OntologySchemas } from '@caxton/core';
import { compileSchema, type OntologyValidator } from './schema-compiler.js';

export class OntologyValidators {
  private readonly byVersion = new WeakMap<OntologySchemas, Map<string, OntologyValidator>>();

  /** The validator of `ontology` in `schemas` (which declares it); throws Ajv's error if it does not compile. */
  of(schemas: OntologySchemas, ontology: string): OntologyValidator {
    let compiled = this.byVersion.get(schemas);
    if (compiled === undefined) this.byVersion.set(schemas, (compiled = new Map()));
    let validate = compiled.get(ontology);
    if (validate === undefined) {
      validate = compileSchema(schemas[ontology]!);
      compiled.set(ontology, validate);
    }
    return validate;
  }
}
