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
 * - An owner claim (decision 1800): key `\0claim\0<claim id>` (empty agent part: agent names are
 *   never empty, so no agent key collides), value = 0x01 · the claiming node's id (UTF-8). Written
 *   by a node that takes the partition, before it loads it; every key is unique, so compaction never
 *   removes a claim and the order "claim before record" survives it.
 * - A sweep header (the claim sweep, decision 1800): key `\0sweep\0<claim id>`, value = 0x01 ·
 *   varint n, written by the owner under that claim in ONE produce with the n tombstones that
 *   follow it (one record batch, so they take the n offsets after the header's). Readers apply those
 *   tombstones only while the header's claim is not a retired one (partition-state.ts): a sweep
 *   that lands after another node claimed the partition deletes nothing. A null value retires the
 *   header (with its claim).
 * - Tagged (v2) entries and markers, written by an owner's handling commit: value = 0x02 · claim id
 *   (length-prefixed string) · payload, where the payload is the v1 value (0x01 · …) or, for a
 *   delete, the single byte 0x00 (a tombstone cannot carry a tag). Readers apply a tagged record only
 *   when its claim is the partition's latest (partition-state.ts). Operator writes stay v1.
 *
 * Agent names never contain U+0000 (they are FIPA names), so the first NUL splits the key. State
 * keys beginning with U+0000 are the runtime's own bookkeeping (decision 1600); the one key that
 * would collide with the marker, `\0commit`, is refused (KafkaStateKeyError).
 */
import type { StateWrite } from '@caxton/core';
import { FieldReader, FieldWriter, RecordFormatError } from '../records/binary-fields.js';

const V1 = 0x01;
const V2_TAGGED = 0x02;
/** The payload of a tagged record that deletes its key. */
const DELETED = 0x00;
/** The state key under which the marker would be stored: never a state key itself. */
export const MARKER_STATE_KEY = '\u0000commit';
const SEP = '\u0000';
/** Prefix of claim record keys: the empty agent name, then a name no state key can have. */
const CLAIM_PREFIX = `${SEP}claim${SEP}`;
/** Prefix of sweep header keys (same empty agent name). */
const SWEEP_PREFIX = `${SEP}sweep${SEP}`;

/**
 * `claim` on an entry or marker: the owner claim it was written under (absent: an untagged v1
 * record, an operator's write, applied whatever the current claim). A `claim-cleared` is a claim's
 * tombstone and a `sweep-cleared` a header's, left by the sweep that retired that claim.
 */
export type StateRecord =
  | { kind: 'entry'; agent: string; key: string; value: string | null; claim?: string }
  | { kind: 'marker'; agent: string; ids: string[]; claim?: string }
  | { kind: 'marker-cleared'; agent: string }
  | { kind: 'claim'; claim: string; node: string }
  | { kind: 'claim-cleared'; claim: string }
  | { kind: 'sweep'; claim: string; count: number }
  | { kind: 'sweep-cleared'; claim: string };

export interface StateMessage {
  key: Buffer;
  value: Buffer | null;
  /** Only on the last record of a produce: what the produce was (TX_HEADER, encodeTxHeader). */
  headers?: Record<string, Buffer>;
}

/**
 * The Kafka record header a produce of one agent's state records carries on its last record (the
 * marker, or the last entry), saying what the produce was, so that a history reader (replay, issue
 * 57) can tell one commit from the next and a delivery's writes from those of the other deliveries
 * of its batch. Headers are not part of the value: readers of the state (partition-state.ts) and
 * nodes that predate it ignore it. Compaction keeps a record with its headers, but only the newest
 * record of a key: the headers of an agent's older commits (on its marker, or an entry written again
 * since) go with them, once compacted (after min.compaction.lag.ms of a closed segment).
 *
 * - `deliveries`: a handling commit of `counts.length` deliveries, in handling order (the marker
 *   names them newest first, then earlier unconfirmed ones): `counts[i]` of the produce's entries,
 *   in order, are delivery i's writes, and `clocks[i]` its handling's first clock read (decision
 *   2178), -1 for none;
 * - `state`: an operator's write, or a timer's firing (commitState, commitClaimed);
 * - either may name `before` it the agent's deliveries this node completed by their offset alone
 *   since the agent's last state commit, in completion order (completed-since.ts), by their offsets
 *   in the agent's partition of the deliveries topic, so a reader runs them in the order they ran;
 * - `reset`: clearState (the agent's every key deleted, and its marker);
 * - `rewrite`: the owner's repair or sweep writing again what the view already holds.
 */
export const TX_HEADER = 'caxton-tx';

/**
 * The state key of an agent's order record: a tombstone (a delete of a key no agent has: the
 * runtime's reserved prefix, decision 1600) whose only content is its `state` header's `before`
 * list — the deliveries an agent completed by offset alone since its last state commit, written when
 * no other state commit of the agent comes to carry them (completed-since.ts). Every reader applies
 * it as the delete of nothing. One key an agent: compaction keeps the newest (until
 * delete.retention.ms), so older order records go once compacted, as older commits' headers do.
 */
export const ORDER_STATE_KEY = '\u0000order';

export type TxHeader =
  | { kind: 'deliveries'; counts: readonly number[]; clocks: readonly number[]; before?: readonly number[] }
  | { kind: 'state'; before?: readonly number[] }
  | { kind: 'reset' }
  | { kind: 'rewrite' };

/**
 * `d;<count>,…;<clock>,…` | `s` | `r` | `w`, then for `d` and `s` the `before` offsets after a `|`:
 * the first in base 36, each next as its difference from the one before (signed, base 36), as
 * completions come near each other in a partition: a few bytes each. ASCII: it rides on every
 * state commit.
 */
export function encodeTxHeader(tx: TxHeader): Buffer {
  const before = (offsets: readonly number[] | undefined): string =>
    offsets === undefined || offsets.length === 0
      ? ''
      : `|${offsets.map((o, i) => (i === 0 ? o : o - offsets[i - 1]!).toString(36)).join(',')}`;
  switch (tx.kind) {
    case 'deliveries':
      return Buffer.from(`d;${tx.counts.join(',')};${tx.clocks.join(',')}${before(tx.before)}`, 'latin1');
    case 'state':
      return Buffer.from(`s${before(tx.before)}`, 'latin1');
    case 'reset':
      return Buffer.from('r', 'latin1');
    case 'rewrite':
      return Buffer.from('w', 'latin1');
  }
}

const COUNT = /^(0|[1-9][0-9]{0,8})$/;
const CLOCK = /^(-1|0|[1-9][0-9]{0,15})$/;

/** The header's value as a TxHeader; undefined when it is not one this build writes (a newer node's, damage). */
export function decodeTxHeader(value: Buffer | string | undefined): TxHeader | undefined {
  if (value === undefined) return undefined;
  const [head, list, extra] = (typeof value === 'string' ? value : value.toString('latin1')).split('|');
  const tx = decodeTxHead(head!);
  if (tx === undefined || extra !== undefined) return undefined;
  if (list === undefined) return tx;
  const before = decodeOffsets(list);
  return before !== undefined && (tx.kind === 'deliveries' || tx.kind === 'state') ? { ...tx, before } : undefined;
}

const FIRST = /^[0-9a-z]{1,11}$/;
const DELTA = /^-?[0-9a-z]{1,11}$/;

/** `<first>,<delta>,…` (base 36) → offsets; undefined for anything else (a negative offset too). */
function decodeOffsets(list: string): number[] | undefined {
  const parts = list.split(',');
  const out: number[] = [];
  for (const [i, part] of parts.entries()) {
    if (!(i === 0 ? FIRST : DELTA).test(part)) return undefined;
    const n = parseInt(part, 36);
    const offset = i === 0 ? n : out[i - 1]! + n;
    if (!Number.isSafeInteger(offset) || offset < 0) return undefined;
    out.push(offset);
  }
  return out;
}

function decodeTxHead(text: string): TxHeader | undefined {
  if (text === 's') return { kind: 'state' };
  if (text === 'r') return { kind: 'reset' };
  if (text === 'w') return { kind: 'rewrite' };
  const parts = text.split(';');
  if (parts.length !== 3 || parts[0] !== 'd' || parts[1] === '') return undefined;
  const counts = parts[1]!.split(',');
  const clocks = parts[2]!.split(',');
  if (counts.length !== clocks.length || !counts.every((c) => COUNT.test(c)) || !clocks.every((c) => CLOCK.test(c))) return undefined;
  return { kind: 'deliveries', counts: counts.map(Number), clocks: clocks.map(Number) };
}

/** The records of one produce, the last one carrying its TxHeader. */
export function withTxHeader(records: StateMessage[], tx: TxHeader): StateMessage[] {
  const last = records.at(-1);
  if (last !== undefined) records[records.length - 1] = { ...last, headers: { [TX_HEADER]: encodeTxHeader(tx) } };
  return records;
}

export function entryRecordKey(agent: string, key: string): string {
  return `${agent}${SEP}${key}`;
}

export function markerRecordKey(agent: string): string {
  return `${agent}${SEP}${MARKER_STATE_KEY}`;
}

export function claimRecordKey(claim: string): string {
  return `${CLAIM_PREFIX}${claim}`;
}

/** The claim a node writes when it takes a partition (decision 1800). */
export function encodeClaim(claim: string, node: string): StateMessage {
  const value = Buffer.allocUnsafe(1 + Buffer.byteLength(node, 'utf8'));
  value[0] = V1;
  value.write(node, 1, 'utf8');
  return { key: Buffer.from(claimRecordKey(claim), 'utf8'), value };
}

export function sweepRecordKey(claim: string): string {
  return `${SWEEP_PREFIX}${claim}`;
}

/** A retired claim's tombstone (the sweep). */
export function encodeClaimTombstone(claim: string): StateMessage {
  return { key: Buffer.from(claimRecordKey(claim), 'utf8'), value: null };
}

/** The header of a sweep's `count` tombstones, which must follow it in the same produce. */
export function encodeSweepHeader(claim: string, count: number): StateMessage {
  const w = new FieldWriter(8);
  w.byte(V1);
  w.varint(count);
  return { key: Buffer.from(sweepRecordKey(claim), 'utf8'), value: w.finish() };
}

export function encodeSweepHeaderTombstone(claim: string): StateMessage {
  return { key: Buffer.from(sweepRecordKey(claim), 'utf8'), value: null };
}

/** A state key's tombstone (untagged: only a sweep header in front of it fences it). */
export function encodeEntryTombstone(agent: string, key: string): StateMessage {
  return { key: Buffer.from(entryRecordKey(agent, key), 'utf8'), value: null };
}

/** Prefix a v1 payload (or the deleted flag when null) with the version byte 0x02 and the claim. */
function tagged(claim: string, payload: Buffer | null): Buffer {
  const w = new FieldWriter(8 + claim.length * 3 + (payload?.length ?? 1));
  w.byte(V2_TAGGED);
  w.string(claim);
  if (payload === null) w.byte(DELETED);
  else w.bytes(payload);
  return w.finish();
}

/** An entry; with `claim`, tagged (a delete is then a tagged "deleted" value, not a tombstone). */
export function encodeEntry(agent: string, write: StateWrite, claim?: string): StateMessage {
  const key = Buffer.from(entryRecordKey(agent, write.key), 'utf8');
  let value: Buffer | null = null;
  if (write.value !== null) {
    value = Buffer.allocUnsafe(1 + Buffer.byteLength(write.value, 'utf8'));
    value[0] = V1;
    value.write(write.value, 1, 'utf8');
  }
  return { key, value: claim === undefined ? value : tagged(claim, value) };
}

export function encodeMarker(agent: string, ids: readonly string[], claim?: string): StateMessage {
  const w = new FieldWriter(8 + ids.reduce((n, id) => n + id.length * 3 + 2, 0));
  w.byte(V1);
  w.varint(ids.length);
  for (const id of ids) w.string(id);
  const value = w.finish();
  return { key: Buffer.from(markerRecordKey(agent), 'utf8'), value: claim === undefined ? value : tagged(claim, value) };
}

export function encodeMarkerTombstone(agent: string): StateMessage {
  return { key: Buffer.from(markerRecordKey(agent), 'utf8'), value: null };
}

/** Decode one record of the state topic; throws RecordFormatError if it is not one of ours. */
export function decodeStateRecord(key: Buffer | null, value: Buffer | null): StateRecord {
  if (key === null) throw new RecordFormatError('state record without a key');
  const k = key.toString('utf8');
  if (k.startsWith(CLAIM_PREFIX)) return decodeClaim(k.slice(CLAIM_PREFIX.length), value);
  if (k.startsWith(SWEEP_PREFIX)) return decodeSweep(k.slice(SWEEP_PREFIX.length), value);
  const cut = k.indexOf(SEP);
  if (cut <= 0) throw new RecordFormatError('state record key has no agent part');
  const agent = k.slice(0, cut);
  const stateKey = k.slice(cut + 1);
  // A tagged value: the claim, then the v1 payload (or the deleted flag) at `start`.
  let claim: string | undefined;
  let start = 0;
  if (value !== null && value.length > 0 && value[0] === V2_TAGGED) {
    const r = new FieldReader(value, 1);
    claim = r.string();
    start = value.length - r.remaining;
    if (claim.length === 0) throw new RecordFormatError('tagged state record with an empty claim');
    if (start >= value.length) throw new RecordFormatError('tagged state record without a payload');
  }
  const deleted = value === null || (claim !== undefined && value[start] === DELETED && value.length === start + 1);
  if (!deleted && (value.length === start || value[start] !== V1)) {
    throw new RecordFormatError(`unknown state record version ${value.length === start ? '(empty)' : value[start]}`);
  }
  const tag = claim === undefined ? {} : { claim };
  if (stateKey === MARKER_STATE_KEY) {
    // Handling commits never clear a marker: a tagged "deleted" marker is not ours.
    if (deleted && claim !== undefined) throw new RecordFormatError('tagged commit marker without ids');
    if (deleted) return { kind: 'marker-cleared', agent };
    const r = new FieldReader(value, start + 1);
    const n = r.varint();
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push(r.string());
    if (!r.done) throw new RecordFormatError('bytes after the end of the commit marker');
    return { kind: 'marker', agent, ids, ...tag };
  }
  return { kind: 'entry', agent, key: stateKey, value: deleted ? null : value.toString('utf8', start + 1), ...tag };
}

function decodeClaim(claim: string, value: Buffer | null): StateRecord {
  if (claim.length === 0) throw new RecordFormatError('claim record without a claim id');
  if (value === null) return { kind: 'claim-cleared', claim };
  if (value.length < 2 || value[0] !== V1) throw new RecordFormatError('claim record without a node id');
  return { kind: 'claim', claim, node: value.toString('utf8', 1) };
}

function decodeSweep(claim: string, value: Buffer | null): StateRecord {
  if (claim.length === 0) throw new RecordFormatError('sweep header without a claim id');
  if (value === null) return { kind: 'sweep-cleared', claim };
  if (value.length < 2 || value[0] !== V1) throw new RecordFormatError('sweep header without a count');
  const r = new FieldReader(value, 1);
  const count = r.varint();
  if (!r.done) throw new RecordFormatError('bytes after the end of the sweep header');
  return { kind: 'sweep', claim, count };
}
