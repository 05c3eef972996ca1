/**
 * The errors a node raises about what it was asked to do (a wrong field, a missing or existing
 * agent, a conflicting state, a node that cannot serve now). They belong to the control model, not
 * to the API: each declares its ErrorKind, and the API alone turns the kind into a gRPC status.
 */
import { CaxtonError, type ErrorContext } from '../errors.js';

/**
 * A request field is wrong. Raised by the API layer, `field` is the wire (proto) path, e.g.
 * `header.sha256`, `structured.receivers[0]`; raised by the domain, it is the domain's own name
 * (e.g. `limits.fuelPerMessage`), never a proto field.
 */
export class InvalidArgumentError extends CaxtonError {
  readonly field: string;

  constructor(field: string, message: string, hint?: string) {
    super(
      'api.invalid',
      `${field}: ${message}`,
      hint === undefined ? { kind: 'invalid-argument', context: { field } } : { kind: 'invalid-argument', context: { field }, hint },
    );
    this.field = field;
  }
}

/** No such agent (or other resource). */
export class NotFoundError extends CaxtonError {
  readonly resourceType: string;
  readonly resourceName: string;

  constructor(resourceType: string, resourceName: string, hint?: string) {
    super(`${resourceType}.not-found`, `no ${resourceType} named ${resourceName}`, {
      kind: 'not-found',
      context: resourceType === 'agent' ? { agent: resourceName } : { [resourceType]: resourceName },
      hint: hint ?? (resourceType === 'agent' ? 'list deployed agents with `caxton agents`' : undefined),
    });
    this.resourceType = resourceType;
    this.resourceName = resourceName;
  }
}

export class AlreadyExistsError extends CaxtonError {
  readonly resourceType: string;
  readonly resourceName: string;

  constructor(resourceType: string, resourceName: string, hint?: string) {
    super(
      `${resourceType}.already-exists`,
      `${/^[aeiou]/i.test(resourceType) ? 'an' : 'a'} ${resourceType} named ${resourceName} already exists`,
      {
        kind: 'already-exists',
        context: resourceType === 'agent' ? { agent: resourceName } : { [resourceType]: resourceName },
        hint: hint ?? (resourceType === 'agent' ? 'upgrade it with `caxton upgrade`, or stop it first' : undefined),
      },
    );
    this.resourceType = resourceType;
    this.resourceName = resourceName;
  }
}

/** The operation conflicts with the agent's current state (e.g. upgrade while stopping). */
export class ConflictError extends CaxtonError {
  constructor(message: string, opts: { context?: ErrorContext; hint?: string } = {}) {
    super('agent.conflict', message, { ...opts, kind: 'failed-precondition' });
  }
}

/** The node cannot serve right now (shutting down, storage unreachable). Clients may retry. */
export class UnavailableError extends CaxtonError {
  constructor(message: string, opts: { context?: ErrorContext; hint?: string } = {}) {
    super('node.unavailable', message, { ...opts, kind: 'unavailable' });
  }
}

/**
 * The node (or its cluster) is frozen by the kill switch (decision 1403): no agent code runs, so
 * nothing that would start agent code (deploy, upgrade, a state import) is accepted until a thaw.
 */
export class FrozenError extends CaxtonError {
  constructor(action: string, scope: 'node' | 'cluster', opts: { context?: ErrorContext } = {}) {
    super('node.frozen', `cannot ${action}: the ${scope} is frozen (no agent code runs)`, {
      kind: 'failed-precondition',
      context: { ...opts.context, scope },
      hint: `run \`caxton thaw${scope === 'cluster' ? ' --cluster' : ''}\` first; messages sent meanwhile are kept and handled after the thaw`,
    });
  }
}

/** The agent is suspended (decision 1403): it runs no code until `caxton resume`. */
export class AgentSuspendedError extends CaxtonError {
  constructor(agent: string, action: string) {
    super('agent.suspended', `cannot ${action} ${agent}: it is suspended`, {
      kind: 'failed-precondition',
      context: { agent },
      hint: `run \`caxton resume ${agent}\` first; its mailbox keeps what was sent meanwhile`,
    });
  }
}

/**
 * `stop --keep-queue` on a node that cannot keep an absent agent's queue (a cluster: its mailboxes
 * follow placement, decision 1990). Nothing was stopped.
 */
export class KeepQueueUnsupportedError extends CaxtonError {
  constructor(agent: string) {
    super(
      'agent.keep-queue-unsupported',
      `cannot stop ${agent} with its queue kept: a cluster node does not keep queues for stopped agents`,
      {
        kind: 'failed-precondition',
        context: { agent },
        hint: `stop it without --keep-queue (its waiting messages are dead-lettered), or \`caxton suspend ${agent}\`: a suspended agent's messages wait for \`caxton resume\``,
      },
    );
  }
}

/** A rollback of an agent no upgrade has replaced a version of: there is nothing to go back to. */
export class NoPreviousVersionError extends CaxtonError {
  constructor(agent: string, version: number) {
    super('agent.no-previous-version', `cannot roll back ${agent}: version ${version} replaced no earlier version`, {
      kind: 'failed-precondition',
      context: { agent, version },
      hint: `a rollback puts back what the last upgrade replaced; deploy or upgrade ${agent} with the artifact you want instead`,
    });
  }
}
