/**
 * The node's trust decision for an uploaded artifact (decision 1400): given the trusted public keys,
 * the policy and the envelope that came with the artifact (if any), who vouched for these bytes?
 *
 * - `off`: signatures are not looked at; nothing is recorded.
 * - `warn`: a valid signature by a trusted key is recorded; anything else deploys with a warning.
 * - `require`: anything but a valid signature by a trusted key over exactly these bytes is refused.
 *
 * A signature counts only if it verifies over PAE(payloadType, payload) with a trusted key AND the
 * statement's digest equals the uploaded artifact's sha256 (bytes changed after signing fail here).
 * No I/O: the keys are loaded by trust-files.ts.
 */
import { verify, type KeyObject } from 'node:crypto';
import { CaxtonError, pae, parseEnvelope, parseStatement, type AgentStatement } from '@caxton/core';
import { keyIdOf } from './keys.js';

export type TrustMode = 'off' | 'warn' | 'require';
export const TRUST_MODES: readonly TrustMode[] = ['off', 'warn', 'require'];

export type UntrustedReason = 'unsigned' | 'untrusted-key' | 'bad-signature' | 'digest-mismatch' | 'malformed';

export class UntrustedArtifactError extends CaxtonError {
  constructor(
    readonly reason: UntrustedReason,
    message: string,
    agent: string,
    accepted: readonly string[],
  ) {
    super('signing.untrusted', message, {
      kind: 'permission-denied',
      context: { agent, reason, acceptedKeyIds: accepted.join(',') },
      hint:
        accepted.length > 0
          ? `this node requires a signature by one of the keys ${accepted.join(', ')}: sign the exact artifact you deploy (\`caxton sign <artifact> --key <key>\`) with one of them`
          : 'this node requires signed agents but trusts no key: give it public keys with `caxton serve --trust <file|dir>`',
    });
  }
}

export interface TrustDecision {
  /** The trusted key whose signature verified; absent when none did. */
  signerKeyId?: string;
  /** What the signer vouched for (name, version), when a signature verified. */
  statement?: AgentStatement;
  /** Under `warn`: why the artifact is not trusted, for the agent's log. */
  warning?: string;
}

export class TrustPolicy {
  private readonly keys = new Map<string, KeyObject>();

  constructor(
    readonly mode: TrustMode,
    keys: readonly KeyObject[],
  ) {
    for (const key of keys) this.keys.set(keyIdOf(key), key);
  }

  /** Key ids this node accepts, sorted (shown in refusals and at start). */
  get keyIds(): string[] {
    return [...this.keys.keys()].sort();
  }

  /**
   * Decides about one upload; throws UntrustedArtifactError under `require`. `envelopeJson` is the
   * DSSE envelope sent with the artifact ('' or undefined: none), `sha256` the artifact's verified digest.
   */
  check(agent: string, sha256: string, envelopeJson: string | undefined): TrustDecision {
    if (this.mode === 'off') return {};
    const outcome = this.evaluate(sha256, envelopeJson);
    if ('signerKeyId' in outcome) return outcome;
    if (this.mode === 'require') throw new UntrustedArtifactError(outcome.reason, `${agent}: ${outcome.message}`, agent, this.keyIds);
    return { warning: `${outcome.message} (trust policy warn: deployed anyway; under require it would be refused)` };
  }

  /**
   * Decides again about an artifact accepted earlier (a rollback to it): its signature is not kept,
   * only the key that verified it then, so that key must still be trusted now. Throws under
   * `require` when it is not (or when the artifact was never signed).
   */
  recheck(agent: string, sha256: string, signerKeyId: string | undefined): TrustDecision {
    if (this.mode === 'off') return {};
    if (signerKeyId !== undefined && this.keys.has(signerKeyId)) return { signerKeyId };
    const reason: UntrustedReason = signerKeyId === undefined ? 'unsigned' : 'untrusted-key';
    const message =
      signerKeyId === undefined
        ? `the artifact ${sha256.slice(0, 12)}… was deployed unsigned`
        : `the artifact ${sha256.slice(0, 12)}… was signed by ${signerKeyId}, a key this node no longer trusts`;
    if (this.mode === 'require') throw new UntrustedArtifactError(reason, `${agent}: ${message}`, agent, this.keyIds);
    return { warning: `${message} (trust policy warn: rolled back anyway; under require it would be refused)` };
  }

  private evaluate(
    sha256: string,
    envelopeJson: string | undefined,
  ): { signerKeyId: string; statement: AgentStatement } | { reason: UntrustedReason; message: string } {
    if (envelopeJson === undefined || envelopeJson === '') return { reason: 'unsigned', message: 'the artifact is not signed' };
    let decoded;
    try {
      decoded = parseEnvelope(envelopeJson);
    } catch (err) {
      return { reason: 'malformed', message: `the signature envelope is malformed: ${(err as Error).message}` };
    }
    const signedBytes = pae(decoded.payloadType, decoded.payload);
    const trusted = decoded.signatures.filter((s) => this.keys.has(s.keyid));
    if (trusted.length === 0) {
      return {
        reason: 'untrusted-key',
        message: `signed by ${decoded.signatures.map((s) => s.keyid || '(no key id)').join(', ')}, a key this node does not trust`,
      };
    }
    const valid = trusted.find((s) => verify(null, signedBytes, this.keys.get(s.keyid)!, s.sig));
    if (!valid)
      return {
        reason: 'bad-signature',
        message: `the signature by ${trusted[0]!.keyid} does not verify: the signed statement was altered`,
      };
    let statement: AgentStatement;
    try {
      statement = parseStatement(decoded.payloadType, decoded.payload);
    } catch (err) {
      return { reason: 'malformed', message: `the signed statement is malformed: ${(err as Error).message}` };
    }
    if (statement.sha256 !== sha256) {
      return {
        reason: 'digest-mismatch',
        message: `the signature by ${valid.keyid} is for sha256 ${statement.sha256.slice(0, 12)}…, the artifact is ${sha256.slice(0, 12)}…: its bytes changed after signing`,
      };
    }
    return { signerKeyId: valid.keyid, statement };
  }
}
