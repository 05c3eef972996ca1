// The values an agent works with: AssemblyScript mirrors of the records in wit/agent.wit.
import { Performative } from "./performative";

/** A FIPA agent identifier; `name` is globally unique (`local@platform`). */
export class AgentId {
  constructor(public name: string = "", public addresses: string[] = []) {}

  equals(other: AgentId): bool {
    return this.name == other.name;
  }
}

/** A key/value pair: ACL user parameters, init config entries and service properties. */
export class KeyValue {
  constructor(public key: string, public value: string) {}
}

/**
 * A FIPA ACL message (SC00061): the 13 parameters plus user-defined `X-` parameters.
 * Absent optional parameters are `null`; `reply-by` (an option<u64> on the wire) is `replyBy`
 * together with `hasReplyBy`, because AssemblyScript has no nullable integers.
 */
export class AclMessage {
  performative: Performative = Performative.Inform;
  /** Stamped by the runtime from the sending agent's identity; ignored on send. */
  sender: AgentId | null = null;
  receivers: AgentId[] = [];
  replyTo: AgentId[] = [];
  content: string | null = null;
  language: string | null = null;
  encoding: string | null = null;
  ontology: string | null = null;
  protocol: string | null = null;
  conversationId: string | null = null;
  replyWith: string | null = null;
  inReplyTo: string | null = null;
  /** Milliseconds since the Unix epoch (UTC); meaningful only when `hasReplyBy`. */
  replyBy: u64 = 0;
  hasReplyBy: bool = false;
  /** User-defined parameters in their original order; keys keep their `X-` prefix. */
  userParams: KeyValue[] = [];

  constructor(performative: Performative = Performative.Inform) {
    this.performative = performative;
  }

  /** Adds a receiver; returns `this` so calls chain. */
  to(receiver: AgentId): AclMessage {
    this.receivers.push(receiver);
    return this;
  }

  setReplyBy(epochMs: u64): AclMessage {
    this.replyBy = epochMs;
    this.hasReplyBy = true;
    return this;
  }

  clearReplyBy(): AclMessage {
    this.replyBy = 0;
    this.hasReplyBy = false;
    return this;
  }

  /** The value of a user parameter, or null. Keys compare case-insensitively, as in FIPA. */
  param(key: string): string | null {
    const k = key.toLowerCase();
    for (let i = 0; i < this.userParams.length; i++) {
      if (this.userParams[i].key.toLowerCase() == k) return this.userParams[i].value;
    }
    return null;
  }

  /** Sets (or replaces) a user parameter. FIPA requires the `X-` prefix; it is added if missing. */
  setParam(key: string, value: string): AclMessage {
    const k = key.startsWith("X-") || key.startsWith("x-") ? key : "X-" + key;
    const lower = k.toLowerCase();
    for (let i = 0; i < this.userParams.length; i++) {
      if (this.userParams[i].key.toLowerCase() == lower) {
        this.userParams[i].value = value;
        return this;
      }
    }
    this.userParams.push(new KeyValue(k, value));
    return this;
  }
}

/** A service an agent advertises in the directory (FIPA DF service-description). */
export class ServiceDescription {
  constructor(
    public name: string,
    public type: string,
    public protocols: string[] = [],
    public ontologies: string[] = [],
    public languages: string[] = [],
    public properties: KeyValue[] = [],
  ) {}
}

/** What the agent learns about itself when it starts. */
export class InitContext {
  constructor(public self: AgentId, public config: KeyValue[]) {}

  /** A configuration value, or null when the deployment did not set it. */
  get(key: string): string | null {
    for (let i = 0; i < this.config.length; i++) {
      if (this.config[i].key == key) return this.config[i].value;
    }
    return null;
  }
}
