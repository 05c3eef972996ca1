// The values an agent works with: AssemblyScript mirrors of the records in wit/agent.wit.
import { Performative } from "./performative";

/** A FIPA agent identifier; `name` is globally unique (`local@platform`). */
export class AgentId {
  /**
   * Internal (the ABI layer reads it): the addresses, null while none were set. Most identifiers
   * carry no addresses, so a lifted one allocates no empty list (docs/decisions/2107); use
   * `addresses`, which creates the list on first use.
   */
  _addresses: string[] | null;

  constructor(public name: string = "", addresses: string[] | null = null) {
    this._addresses = addresses;
  }

  /** Transport addresses (FIPA agent-identifier `addresses`), usually none. */
  get addresses(): string[] {
    let a = this._addresses;
    if (a === null) {
      a = [];
      this._addresses = a;
    }
    return a;
  }

  set addresses(value: string[]) {
    this._addresses = value;
  }

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
  // The three lists are null while empty (internal; the ABI layer reads them directly): a lifted
  // message, a reply and a new message allocate no empty lists (docs/decisions/2107). Use the
  // `receivers`, `replyTo` and `userParams` accessors, which create a list on first use.
  _receivers: AgentId[] | null = null;
  _replyTo: AgentId[] | null = null;
  _userParams: KeyValue[] | null = null;
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

  constructor(performative: Performative = Performative.Inform) {
    this.performative = performative;
  }

  /** The receivers, in order. */
  get receivers(): AgentId[] {
    let l = this._receivers;
    if (l === null) {
      l = [];
      this._receivers = l;
    }
    return l;
  }

  set receivers(value: AgentId[]) {
    this._receivers = value;
  }

  /** Where replies should go instead of the sender (FIPA reply-to); usually empty. */
  get replyTo(): AgentId[] {
    let l = this._replyTo;
    if (l === null) {
      l = [];
      this._replyTo = l;
    }
    return l;
  }

  set replyTo(value: AgentId[]) {
    this._replyTo = value;
  }

  /** User-defined parameters in their original order; keys keep their `X-` prefix. */
  get userParams(): KeyValue[] {
    let l = this._userParams;
    if (l === null) {
      l = [];
      this._userParams = l;
    }
    return l;
  }

  set userParams(value: KeyValue[]) {
    this._userParams = value;
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
    const params = this._userParams;
    if (params === null) return null;
    const k = key.toLowerCase();
    for (let i = 0; i < params.length; i++) {
      if (params[i].key.toLowerCase() == k) return params[i].value;
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
