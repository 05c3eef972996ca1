/**
 * Records the Kafka log's refusals of records without a valid tag of the cluster's record keys
 * (decision 2185) in the audit trail, as `call` records of the method `ConsumeRecord`: peer
 * `kafka <topic>/<partition>@<offset>`, result `UNAUTHENTICATED` / `log.record-unauthenticated`,
 * the reason and whether the record went to the dead letters as fields.
 *
 * Bounded: whoever forges records chooses how many, and each audit record is an etcd write. At most
 * `perWindow` records per window are written; the refusals past that are counted, said on stderr
 * and carried as `suppressed` on the next record written (a forger cannot make the trail grow
 * without end, nor hide that there were more).
 */
import type { AuditTrail } from '../../audit/audit-trail.js';
import { auditArgs, resultOf } from '../../audit/audited-control.js';
import { RecordUnauthenticatedError } from '../../log/kafka/errors.js';
import type { KafkaLogEvent } from '../../log/kafka/options.js';

export type RecordRefusal = Extract<KafkaLogEvent, { type: 'record-refused' }>;

export interface RecordRefusalAuditOptions {
  trail: Pick<AuditTrail, 'append'>;
  nodeId: string;
  /** A line for the node's stderr (throttled by the caller). */
  say: (line: string) => void;
  /** Audit records written per window at most. Default 20. */
  perWindow?: number;
  /** Default 60 s. */
  windowMs?: number;
  now?: () => number;
}

export const RECORD_REFUSAL_METHOD = 'ConsumeRecord';

export class RecordRefusalAudit {
  private windowStart = Number.NEGATIVE_INFINITY;
  private written = 0;
  private suppressed = 0;
  private readonly perWindow: number;
  private readonly windowMs: number;
  private readonly now: () => number;

  constructor(private readonly o: RecordRefusalAuditOptions) {
    this.perWindow = o.perWindow ?? 20;
    this.windowMs = o.windowMs ?? 60_000;
    this.now = o.now ?? Date.now;
  }

  /** One refusal: said, and audited unless this window's budget is spent. Never throws. */
  refused(e: RecordRefusal): void {
    const where = `${e.topic}/${e.partition}@${e.offset}`;
    this.o.say(
      `WARNING: record ${where} refused, not written by a node of this cluster (${e.reason})${e.deadLettered ? '; moved to the dead letters' : '; not applied'} — audited as ${RECORD_REFUSAL_METHOD}`,
    );
    const now = this.now();
    if (now - this.windowStart >= this.windowMs) {
      this.windowStart = now;
      this.written = 0;
    }
    if (this.written >= this.perWindow) {
      this.suppressed += 1;
      return;
    }
    this.written += 1;
    const suppressed = this.suppressed;
    this.suppressed = 0;
    const err = new RecordUnauthenticatedError(e.topic, e.partition, e.offset, e.reason);
    const fields = {
      topic: e.topic,
      partition: String(e.partition),
      offset: e.offset,
      reason: e.reason,
      deadLettered: e.deadLettered,
      ...(suppressed > 0 ? { suppressed: String(suppressed) } : {}),
    };
    void this.o.trail
      .append({
        time: new Date(now).toISOString(),
        node: this.o.nodeId,
        method: RECORD_REFUSAL_METHOD,
        role: 'none',
        token: '',
        peer: `kafka ${where}`,
        args: auditArgs(fields, fields),
        result: resultOf(err),
      })
      .catch((error: unknown) => {
        this.suppressed += 1 + suppressed;
        this.o.say(`the refusal of record ${where} was not audited: ${(error as Error)?.message ?? String(error)}`);
      });
  }
}
