/**
 * Errors raised by the registry (embedded and etcd), the DF operations on it, cluster membership and
 * placement. Codes are stable: the DF ones carry the FIPA failure reason (SC00023 `already-registered`,
 * `not-registered`) so the DF agent can answer a `failure` with the right predicate.
 */
import { CaxtonError, type ErrorContext, type ErrorKind } from '@caxton/core';

export type RegistryErrorCode =
  /** FIPA: register of an agent that already has a (live) description. */
  | 'df.already-registered'
  /** FIPA: modify/deregister of an agent that has no (live) description. */
  | 'df.not-registered'
  /** A description or record that cannot be stored (missing name, lease in the past, ...). */
  | 'registry.invalid'
  /** Operation on a registry that is not open (or already closed). */
  | 'registry.not-open'
  /** etcd cannot be reached within the configured timeout. */
  | 'registry.unavailable'
  /** An etcd call failed for a reason other than reachability. */
  | 'registry.etcd-failed'
  /** etcd refused this node's user/password. */
  | 'registry.auth-failed'
  /** etcd has authentication on and this node's user (or no user) may not do this. */
  | 'registry.permission-denied'
  /** The TLS handshake with etcd failed (unknown CA, wrong host name, missing client certificate). */
  | 'registry.tls-failed'
  /** The journal or snapshot on disk is damaged somewhere other than a torn tail. */
  | 'registry.corrupt'
  /** A write to local disk failed; the store refuses further writes (state may be ahead of disk). */
  | 'registry.io-failed'
  /** Another live member holds this node id. */
  | 'cluster.node-id-taken'
  /** The cluster was first started under another platform name (decision 1910): its members must share one. */
  | 'cluster.platform-changed'
  /** This node's replicas-across-nodes setting is not the cluster's (decision 2097): its members must share one. */
  | 'cluster.replica-mode-mismatch'
  /** This node's membership lease expired or was revoked. */
  | 'cluster.membership-lost';

/** What sort of failure each registry code is for an API caller. */
export const REGISTRY_ERROR_KINDS: Readonly<Record<RegistryErrorCode, ErrorKind>> = Object.freeze({
  'df.already-registered': 'already-exists',
  'df.not-registered': 'not-found',
  'registry.invalid': 'invalid-argument',
  'registry.not-open': 'unavailable',
  'registry.unavailable': 'unavailable',
  'registry.etcd-failed': 'internal',
  // The node's own configuration is wrong; no caller can fix it by retrying.
  'registry.auth-failed': 'failed-precondition',
  'registry.permission-denied': 'failed-precondition',
  'registry.tls-failed': 'failed-precondition',
  'registry.corrupt': 'data-loss',
  'registry.io-failed': 'internal',
  // Another live member holds the id: the operator must pick another one (or stop that node).
  'cluster.node-id-taken': 'failed-precondition',
  // Started with another --platform than the cluster's: the operator must start it with the kept one.
  'cluster.platform-changed': 'failed-precondition',
  // Started with another --replicas-across-nodes than the cluster's: restart it with the cluster's, or change all.
  'cluster.replica-mode-mismatch': 'failed-precondition',
  // The node is leaving the cluster; a caller may retry against another node.
  'cluster.membership-lost': 'unavailable',
});

export class RegistryError extends CaxtonError {
  declare readonly code: RegistryErrorCode;

  constructor(code: RegistryErrorCode, message: string, opts: { context?: ErrorContext; hint?: string; cause?: unknown } = {}) {
    super(code, message, { ...opts, kind: REGISTRY_ERROR_KINDS[code] });
  }
}

export function isRegistryError(err: unknown, code?: RegistryErrorCode): err is RegistryError {
  return err instanceof RegistryError && (code === undefined || err.code === code);
}

export function alreadyRegistered(agent: string): RegistryError {
  return new RegistryError('df.already-registered', `DF: agent ${agent} is already registered`, {
    context: { agent },
    hint: 'use modify to change an existing registration, or deregister it first',
  });
}

export function notRegistered(agent: string): RegistryError {
  return new RegistryError('df.not-registered', `DF: agent ${agent} is not registered`, {
    context: { agent },
    hint: 'register the agent first (its lease may also have expired)',
  });
}

export function invalid(what: string, context: ErrorContext = {}): RegistryError {
  return new RegistryError('registry.invalid', `registry: ${what}`, {
    context,
    hint: 'fix the record; see docs/registry.md for the required fields',
  });
}

export function notOpen(store: string): RegistryError {
  return new RegistryError('registry.not-open', `${store} is not open`, {
    context: { store },
    hint: 'call open() before use, and do not use a store after close()',
  });
}
