/**
 * What state-crash-child and state-crash.test agree on. Every completion of delivery n writes, in
 * one transaction (several frames: maxRecordBytes is small):
 *   done/<id> = "1"                                        never overwritten: present iff the completion is durable
 *   slot-<n mod SLOTS>-a = slot-<n mod SLOTS>-b = <id> + padding   must always be equal: all or nothing
 */
export const STATE_CRASH_OPTIONS = { maxRecordBytes: 1024, segmentBytes: 32 * 1024, fsyncIntervalMs: 5 } as const;
export const SLOTS = 8;
const PAD = 'p'.repeat(500);

export function stateOf(id: string, n: number): { key: string; value: string }[] {
  const value = `${id}|${PAD}`;
  return [
    { key: `done/${id}`, value: '1' },
    { key: `slot-${n % SLOTS}-a`, value },
    { key: `slot-${n % SLOTS}-b`, value },
  ];
}
