/**
 * The bus's check of declared ontologies (issue 61, decision 2183): a ProtocolGate in front of the
 * protocol tracker, so a message it refuses advances no conversation.
 *
 * A message naming an ontology (`ontology`) is judged for each local receiver whose deployment
 * declares ontologies: one it does not declare is refused ("speaks a, b"); content that is not JSON,
 * or does not match the ontology's schema, is refused with the schema's first error. The refusal is
 * the tracker's: a `not-understood` to an agent sender, a typed InvalidSendError to an outside one
 * (bus.ts). A message naming no ontology, and a receiver that declares none, pass as before — and
 * nothing is allocated for them.
 */
import type { AclMessage, AgentId, OntologySchemas } from '@caxton/core';
import type { ProtocolGate } from '../bus/port.js';
import { notUnderstoodReply } from '../bus/replies.js';
import { firstSchemaError, type CompiledOntology } from './schema-compiler.js';
import type { XmlSchemaCheck } from './xml-schema.js';
import { OntologyValidators } from './validator-cache.js';

export interface OntologyGateOptions {
  /** Platform name: agent `x` is `x@<platform>`; the refusal is sent as `ams@<platform>`. */
  platform: string;
  /** The ontologies `name` (a local name) declares; undefined: none, or not an agent here. No I/O. */
  ontologiesOf(name: string): OntologySchemas | undefined;
}

const HINT =
  'send JSON content that matches the schema of the ontology the message names (deployed with `caxton deploy --ontology`), or name an ontology the receiver speaks';
/**
 * Acts whose content is a reason, not ontology content: every SDK copies `ontology` into a reply, so
 * a `failure`'s plain-text reason would be refused as not JSON and the conversation left hanging.
 */
const REASONS: ReadonlySet<string> = new Set(['not-understood', 'failure', 'refuse']);
/** An outside sender's refusal is of its content, not of a protocol step. */
const LABEL = 'content not understood';
/** Ontologies a refusal lists before it counts the rest. */
const NAMES_SHOWN = 8;

export class OntologyGate implements ProtocolGate {
  private readonly validators = new OntologyValidators();
  private readonly suffix: string;
  private readonly platformAgent: AgentId;

  constructor(
    private readonly inner: ProtocolGate,
    private readonly o: OntologyGateOptions,
  ) {
    this.suffix = `@${o.platform}`;
    this.platformAgent = { name: `ams@${o.platform}` };
  }

  /**
   * The tracker's non-participants, and the receivers that would refuse the message's content. The
   * bus leaves out the ones a topic reached (decision 1960): a subscriber that does not understand a
   * publish misses it, the others still get it. A receiver named outright stays among the receivers
   * `observe` judges, so it still refuses the whole message. A topic send is thus checked twice per
   * subscriber (here and in `observe`); a validator's run is the cheap part, the compile is cached.
   */
  nonParticipants(msg: AclMessage): readonly string[] {
    const strangers = this.inner.nonParticipants?.(msg) ?? [];
    const ontology = msg.ontology;
    if (ontology === undefined || ontology === '' || REASONS.has(msg.performative)) return strangers;
    let refusing: string[] | undefined;
    const content: Parsed = {};
    for (const receiver of msg.receivers)
      if (this.refusalBy(receiver.name, msg, ontology, content) !== undefined) (refusing ??= [...strangers]).push(receiver.name);
    return refusing ?? strangers;
  }

  observe(msg: AclMessage, now: number): ReturnType<ProtocolGate['observe']> {
    const ontology = msg.ontology;
    if (ontology !== undefined && ontology !== '' && !REASONS.has(msg.performative)) {
      const reason = this.refusal(msg, ontology);
      if (reason !== undefined)
        return { kind: 'reject', reply: notUnderstoodReply(msg, this.platformAgent, reason), reason, hint: HINT, label: LABEL };
    }
    return this.inner.observe(msg, now);
  }

  expire(now: number): AclMessage[] {
    return this.inner.expire(now);
  }

  nextDeadline(): number | undefined {
    return this.inner.nextDeadline();
  }

  /** Why a receiver does not understand `msg`, or undefined when every receiver that declares ontologies does. */
  private refusal(msg: AclMessage, ontology: string): string | undefined {
    const content: Parsed = {}; // parsed once, for the first receiver that needs it
    for (const receiver of msg.receivers) {
      const reason = this.refusalBy(receiver.name, msg, ontology, content);
      if (reason !== undefined) return reason;
    }
    return undefined;
  }

  /** Why `receiver` does not understand `msg`, or undefined when it does or declares no ontologies. */
  private refusalBy(receiver: string, msg: AclMessage, ontology: string, content: Parsed): string | undefined {
    const name = this.localName(receiver);
    if (name === undefined) return undefined;
    const schemas = this.o.ontologiesOf(name);
    if (schemas === undefined) return undefined;
    if (!Object.hasOwn(schemas, ontology)) return `${name} does not speak ontology ${shown(ontology)}: it speaks ${spoken(schemas)}`;
    let compiled: CompiledOntology;
    try {
      compiled = this.validators.of(schemas, ontology);
    } catch (err) {
      return `${name}'s schema of ontology ${shown(ontology)} does not compile: ${(err as Error).message.slice(0, 200)}`;
    }
    if (compiled.kind === 'xml') return xmlRefusal(name, ontology, msg, compiled.check);
    if (content.parsed === undefined) {
      try {
        content.parsed = { value: JSON.parse(msg.content ?? '') };
      } catch {
        content.parsed = false;
      }
    }
    if (content.parsed === false) return `${name} takes ontology ${shown(ontology)} as JSON, and the content is not JSON`;
    // Only a plain `true` passes: an async validator's Promise (a schema with `$async`, refused
    // at deploy) would be truthy and pass everything; its rejection is caught, not left to
    // crash the node as an unhandled one.
    const validate = compiled.validate;
    const result: unknown = validate(content.parsed.value);
    if (result instanceof Promise) result.catch(() => undefined);
    if (result !== true)
      return `${name} does not understand the content as ontology ${shown(ontology)}: ${firstSchemaError(validate.errors)}`;
    return undefined;
  }

  /** `x@<platform>` or `x` → `x`; another platform's agent → undefined (its own platform judges it). */
  private localName(name: string): string | undefined {
    if (name.endsWith(this.suffix)) return name.slice(0, -this.suffix.length);
    return name.includes('@') ? undefined : name;
  }
}

/** What a message may call its language for content in XML (`:language`, compared in lower case). */
const XML_LANGUAGES: ReadonlySet<string> = new Set(['xml', 'text/xml', 'application/xml']);

/**
 * An XML ontology (decision 2190): the message says its content is XML, or says no language, and
 * the content is a document the schema accepts. Judged per receiver: each may hold its own schema.
 */
function xmlRefusal(name: string, ontology: string, msg: AclMessage, check: XmlSchemaCheck): string | undefined {
  const language = msg.language?.toLowerCase();
  if (language !== undefined && language !== '' && !XML_LANGUAGES.has(language))
    return `${name} takes ontology ${shown(ontology)} as XML, and the message's language is ${shown(msg.language ?? '')}`;
  const why = check.check(msg.content ?? '');
  return why === undefined ? undefined : `${name} does not understand the content as ontology ${shown(ontology)}: ${why}`;
}

/** A message's content parsed as JSON once per send: undefined until tried, false when it is not JSON. */
interface Parsed {
  parsed?: { value: unknown } | false;
}

/** The ontology as a refusal shows it (built only for a refusal: the hot path allocates nothing). */
function shown(ontology: string): string {
  return JSON.stringify(ontology.slice(0, 128));
}

function spoken(schemas: OntologySchemas): string {
  const names = Object.keys(schemas);
  const shown = names.slice(0, NAMES_SHOWN).join(', ');
  return names.length > NAMES_SHOWN ? `${shown} (and ${names.length - NAMES_SHOWN} more)` : shown;
}
