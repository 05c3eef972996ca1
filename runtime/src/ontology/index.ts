/** Declared ontologies (decision 2183): their schemas compiled, and the bus's check of content against them. */
export { OntologyGate, type OntologyGateOptions } from './ontology-gate.js';
export { checkDeclaredOntologies, MAX_SCHEMA_ERROR } from './schema-compiler.js';
