/**
 * Where the audit trail's signed anchor is kept (decision 1750): in the registry, outside the trail
 * it vouches for — the embedded registry's journal, or an etcd key next to the trail's keys. The
 * value is the signed checkpoint's canonical JSON (core/audit/anchor.ts), opaque to the store.
 */
export interface AuditAnchorStore {
  /** The stored anchor, undefined before the first one. */
  readAuditAnchor(): Promise<string | undefined>;
  /**
   * Stores `anchor` (durably, before resolving). Writers call it with ever later heads; a store
   * several nodes write keeps the latest (the one with the highest index).
   */
  writeAuditAnchor(anchor: string, index: number): Promise<void>;
}
