/**
 * @caxton/core: what every other package shares and nothing else. The FIPA ACL model, its
 * validation and codecs; the FIPA interaction protocol machines and their tracker (pure, no I/O);
 * typed errors; and the control model — what a node offers its operators (NodeControl and its
 * types), which the API serves and the CLI speaks. One definition of each shared type lives here.
 */
export * from './errors.js';
export * from './instrumentation.js';
export * from './acl/index.js';
export * from './mtp/index.js';
export * from './json/index.js';
export { excerpt } from './acl/excerpt.js';
export { utf8ByteLength } from './acl/lexical.js';
export * from './protocols/index.js';
export * from './control/node-control.js';
export * from './control/priority-class.js';
export type * from './control/execution.js';
export type * from './control/directory.js';
export * from './control/limits/index.js';
export { JSON_SHAPE_HINT, jsonShapeRefusal, type JsonShapeLimits } from './control/json-shape.js';
export * from './control/state.js';
export * from './control/agent-files.js';
export * from './control/agent-assets.js';
export * from './control/costs.js';
export * from './control/cost-format.js';
export * from './control/dead-letters.js';
export * from './control/http.js';
export * from './control/a2a-call.js';
export * from './control/a2a-answer.js';
export * from './control/http-allow.js';
export * from './control/http-path.js';
export * from './net/loopback-host.js';
export { encodeU32, encodeS32, encodeName } from './wasm/encode.js';
export * from './wasm/wit/index.js';
export * from './control/http-headers.js';
export * from './control/errors.js';
export {
  AGENT_NAME,
  AGENT_NAME_HINT,
  INSTANCE_KEY,
  INSTANCE_NAME_HINT,
  isInstanceName,
  parseInstanceName,
  instanceName,
  type InstanceName,
} from './control/agent-name.js';
export { LANGUAGE_LABEL, LANGUAGE_LABEL_HINT } from './control/language-label.js';
export * from './control/idempotency-key.js';
export * from './control/topics.js';
export * from './control/topic-patterns.js';
export * from './control/rollout.js';
export * from './control/replay-gate.js';
export type * from './control/replay-reach.js';
export type * from './control/replay-trace.js';
export * from './control/replicas.js';
export * from './control/near.js';
export * from './control/replica-units.js';
export { parseA2aCard, checkA2aCard, type A2aCardSpec, type A2aCardSkill } from './control/a2a-card.js';
export {
  parseOntologies,
  checkOntologies,
  ONTOLOGY_NAME,
  isXmlSchema,
  XML_SCHEMA_KEY,
  type OntologySchemas,
  type OntologySchema,
  type XmlSchemaDeclaration,
} from './control/ontologies.js';
export { matchesTailFilter } from './control/tail-filter.js';
export * from './audit/record.js';
export * from './audit/verify.js';
export * from './audit/anchor.js';
export * from './audit/segments.js';
export * from './audit/changes.js';
export * from './audit/unended-rollouts.js';
export * from './console/contract.js';
export * from './signing/index.js';
export * from './access/index.js';
