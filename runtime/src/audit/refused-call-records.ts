/**
 * The audit records of refused calls, every ingress alike (the API's interceptor for credential
 * refusals; the console, its WebSocket, A2A, MCP and the HTTP MTP through AuditedControl.refused):
 * one record each up to a source's budget (refusal-budget.ts), then only counted; the counts are
 * carried on the source's next record or, when none comes, written as one `RefusedCalls` summary
 * once its window ended (a timer checks twice a window) and at close. One instance per node, so
 * the bound on all sources is the node's. A source is the caller's address, or a credential that
 * proved itself (RefusalSourceOf): a real one is not free as a made-up token is, and its refusals
 * are then not hidden by others' from the same address.
 */
import { createHash } from 'node:crypto';
import type { AuditEntry, AuditRole } from '@caxton/core';
import { RefusalBudget, formatRefusalKinds, refusalSource, type RefusalBudgetLimits, type RefusalKinds } from './refusal-budget.js';

/** The method of the record that sums up a source's refused calls not recorded one by one. */
export const REFUSED_CALLS_METHOD = 'RefusedCalls';

/**
 * Who a refusal is counted under when it is not its address: a token that authenticated and was
 * denied what it asked (its fingerprint and role), or a peer the ingress authenticated by other
 * means (the MTP's peer platform, by its URL secret: `mtp <platform>`).
 */
export type RefusalSourceOf = { token: string; role: AuditRole } | { peer: string };

// Source keys: an address never holds a space (refusalSource), so these cannot be one.
const TOKEN_SOURCE = 'token ';
const PEER_SOURCE = 'peer ';

export interface RefusedCallRecordsOptions {
  /** Appends one record durably (AuditTrail.append). */
  append: (entry: AuditEntry) => Promise<unknown>;
  nodeId: string;
  report: (err: unknown, what: string) => void;
  now?: () => number;
  /** Default DEFAULT_REFUSAL_BUDGET. */
  limits?: RefusalBudgetLimits;
}

export class RefusedCallRecords {
  private readonly budget: RefusalBudget;
  private readonly now: () => number;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly o: RefusedCallRecordsOptions) {
    this.budget = new RefusalBudget(o.limits);
    this.now = o.now ?? Date.now;
    this.timer = setInterval(() => void this.writeSummaries(this.now()), (o.limits?.windowMs ?? 60_000) / 2);
    this.timer.unref(); // it keeps no process alive
  }

  /**
   * One refused call of `kind` (what refused it: a status or error code, with the detail that tells
   * refusals of one code apart), from `peer` (an address, its port ignored), counted under `as` when
   * given (see RefusalSourceOf): the fields to add to its record (the refusals suppressed before it,
   * and their kinds), or undefined when it is only counted.
   */
  admit(peer: string, as: RefusalSourceOf | undefined, kind: string): SuppressedFields | undefined {
    const source =
      as === undefined ? refusalSource(peer) : 'token' in as ? `${TOKEN_SOURCE}${as.role} ${as.token}` : `${PEER_SOURCE}${as.peer}`;
    const decision = this.budget.take(source, this.now(), kind);
    if (!decision.record) return undefined;
    return suppressedFields(decision.suppressed, decision.kinds);
  }

  /** Writes the summaries still owed and stops the timer: before the trail closes. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all(this.writeSummaries(Number.POSITIVE_INFINITY));
  }

  private writeSummaries(at: number): Promise<unknown>[] {
    return this.budget.due(at).map(({ source, suppressed, kinds }) => {
      const summary: AuditEntry = {
        time: new Date(this.now()).toISOString(),
        node: this.o.nodeId,
        method: REFUSED_CALLS_METHOD,
        ...whoOf(source),
        args: { sha256: createHash('sha256').digest('hex'), bytes: 0, fields: suppressedFields(suppressed, kinds) },
        result: { code: 'REFUSED', error: '' }, // refusals of several kinds: the method says what this record is
      };
      return this.o.append(summary).catch((err: unknown) => this.o.report(err, `${REFUSED_CALLS_METHOD} (audit: record)`));
    });
  }
}

/** What a record says of the refusals suppressed before it: how many (`suppressed`) and of which kinds (`suppressedKinds`). */
export type SuppressedFields = { suppressed?: string; suppressedKinds?: string };

function suppressedFields(suppressed: number, kinds: RefusalKinds | undefined): SuppressedFields {
  if (suppressed === 0) return {};
  return { suppressed: String(suppressed), ...(kinds !== undefined ? { suppressedKinds: formatRefusalKinds(kinds) } : {}) };
}

/** The role, token and peer a summary names for a source key (see admit). */
function whoOf(source: string): { role: AuditRole; token: string; peer: string } {
  if (source.startsWith(TOKEN_SOURCE)) {
    const [role, token = ''] = source.slice(TOKEN_SOURCE.length).split(' ');
    return { role: role as AuditRole, token, peer: '' };
  }
  if (source.startsWith(PEER_SOURCE)) return { role: 'none', token: '', peer: source.slice(PEER_SOURCE.length) };
  return { role: 'none', token: '', peer: source };
}
