/**
 * Kafka record layout of agent state (decision 1602), in the compacted `<prefix>.state` topic.
 * Pure, no I/O.
 *
 * - An entry: key `<agent>\0<state key>`, value = version byte 0x01 · the value's UTF-8 bytes
 *   (the record's own length bounds it, so no length prefix); a delete is a tombstone (null value),
 *   which compaction eventually removes together with every older value of the key.
 * - The commit marker: key `<agent>\0\0commit`, value = version byte 0x01 · varint n · n delivery
 *   ids. Written in the same record batch as the writes of a delivery's handling: the first id is
 *   that delivery; the others are earlier deliveries of the agent whose state is committed but whose
 *   offset commit was not yet confirmed (so a later marker never hides one of them, see
 *   kafka-state-store.ts). Compaction keeps the newest marker per agent.
 *
 * Agent names never contain U+0000 (they are FIPA names), so the first NUL splits the key. State
 * keys beginning with U+0000 are the runtime's own bookkeeping (decision 1600); the one key that
 * would collide with the marker, `\0commit`, is refused (KafkaStateKeyError).
 */
import type { StateWrite } from '@caxton/core';
import { FieldReader, FieldWriter, RecordFormatError } from './binary-fields.js';

const V1 = 0x01;
/** The state key under which the marker would be stored: never a state key itself. */
export const MARKER_STATE_KEY = '\u0000commit';
const SEP = '\u0000';

export type StateRecord =
  | { kind: 'entry'; agent: string; key: string; value: string | null }
  | { kind: 'marker'; agent: string; ids: string[] }
  | { kind: 'marker-cleared'; agent: string };

export interface StateMessage {
  key: Buffer;
  value: Buffer | null;
}

export function entryRecordKey(agent: string, key: string): string {
  return `${agent}${SEP}${key}`;
}

export function markerRecordKey(agent: string): string {
  return `${agent}${SEP}${MARKER_STATE_KEY}`;
}

export function encodeEntry(agent: string, write: StateWrite): StateMessage {
  const key = Buffer.from(entryRecordKey(agent, write.key), 'utf8');
  if (write.value === null) return { key, value: null };
  const value = Buffer.allocUnsafe(1 + Buffer.byteLength(write.value, 'utf8'));
  value[0] = V1;
  value.write(write.value, 1, 'utf8');
  return { key, value };
}

export function encodeMarker(agent: string, ids: readonly string[]): StateMessage {
  const w = new FieldWriter(8 + ids.reduce((n, id) => n + id.length * 3 + 2, 0));
  w.byte(V1);
  w.varint(ids.length);
  for (const id of ids) w.string(id);
  return { key: Buffer.from(markerRecordKey(agent), 'utf8'), value: w.finish() };
}

export function encodeMarkerTombstone(agent: string): StateMessage {
  return { key: Buffer.from(markerRecordKey(agent), 'utf8'), value: null };
}

/** Decode one record of the state topic; throws RecordFormatError if it is not one of ours. */
export function decodeStateRecord(key: Buffer | null, value: Buffer | null): StateRecord {
  if (key === null) throw new RecordFormatError('state record without a key');
  const k = key.toString('utf8');
  const cut = k.indexOf(SEP);
  if (cut <= 0) throw new RecordFormatError('state record key has no agent part');
  const agent = k.slice(0, cut);
  const stateKey = k.slice(cut + 1);
  if (value !== null && (value.length === 0 || value[0] !== V1)) {
    throw new RecordFormatError(`unknown state record version ${value.length === 0 ? '(empty)' : value[0]}`);
  }
  if (stateKey === MARKER_STATE_KEY) {
    if (value === null) return { kind: 'marker-cleared', agent };
    const r = new FieldReader(value, 1);
    const n = r.varint();
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push(r.string());
    if (!r.done) throw new RecordFormatError('bytes after the end of the commit marker');
    return { kind: 'marker', agent, ids };
  }
  return { kind: 'entry', agent, key: stateKey, value: value === null ? null : value.toString('utf8', 1) };
}
