/**
 * Durable agent timers in etcd, under `<prefix>store/timers/<agent>/<id>` (keys.ts). Outside the
 * mirrored range: only the node running the agent reads them, straight from etcd (on start or
 * takeover), so they are shared cluster state without flowing through every node's watch. Plain
 * puts, no lease: a timer must outlive the node that set it, so the next owner of the agent fires it.
 */
import { Range } from 'etcd3';
import type { TimerRecord } from '../../storage/records.js';
import { byDueTime, validateTimerRecord } from '../records.js';
import type { EtcdConnection } from './connection.js';
import type { KeyLayout } from './keys.js';

export class EtcdTimers {
  constructor(private readonly connection: EtcdConnection, private readonly keys: KeyLayout) {}

  async put(timer: TimerRecord): Promise<void> {
    const record = validateTimerRecord(timer, true); // instances of kinds too (decision 2060)
    const key = this.keys.timerKey(record.agent, record.id);
    await this.connection.call('store a timer', () => this.connection.client.put(key).value(JSON.stringify(record)).exec());
  }

  /** Idempotent: deleting an absent key is not an error in etcd. */
  async delete(agent: string, id: string): Promise<void> {
    const key = this.keys.timerKey(agent, id);
    await this.connection.call('delete a timer', () => this.connection.client.delete().key(key).exec());
  }

  async deleteAll(agent: string): Promise<void> {
    const prefix = this.keys.timersPrefix(agent);
    await this.connection.call('delete an agent\'s timers', () => this.connection.client.delete().prefix(prefix).exec());
  }

  /** Every instance timer of a kind (its stop): one prefix delete, whatever the number of keys. */
  async deleteKind(kind: string): Promise<void> {
    const prefix = this.keys.kindTimersPrefix(kind);
    await this.connection.call('delete a kind\'s instance timers', () => this.connection.client.delete().prefix(prefix).exec());
  }

  /**
   * The earliest due time of every instance of kind `kind` with a pending timer (decision 2060: a
   * partition assigned to this node, its passivated instances' wakes), read in pages of `pageSize`
   * keys, so what is held in memory at once is one page whatever the number of instances. Keys sort
   * by instance (`<kind>%2F<key>/<id>`), so an instance's timers are contiguous and its earliest
   * due time is complete once a later instance's key is read. A value that does not parse as its
   * key's timer is skipped.
   */
  async *kindDue(kind: string, pageSize: number): AsyncGenerator<Array<{ name: string; dueAt: number }>> {
    const prefix = this.keys.kindTimersPrefix(kind);
    const end = Range.prefix(prefix).end;
    let start: Buffer = Buffer.from(prefix);
    let current: { name: string; dueAt: number } | undefined;
    for (;;) {
      const from = start;
      const page = await this.connection.call('read a kind\'s instance timers', () => this.connection.client.getAll().inRange({ start: from, end }).limit(pageSize).exec());
      const done: Array<{ name: string; dueAt: number }> = [];
      for (const kv of page.kvs) {
        const timer = parseTimerEntry(kv.value.toString(), kv.key.toString(), (agent, id) => this.keys.timerKey(agent, id));
        if (timer === undefined || !timer.agent.startsWith(`${kind}/`)) continue;
        if (current !== undefined && current.name === timer.agent) {
          current.dueAt = Math.min(current.dueAt, timer.dueAt);
          continue;
        }
        if (current !== undefined) done.push(current);
        current = { name: timer.agent, dueAt: timer.dueAt };
      }
      if (done.length > 0) yield done;
      if (!page.more || page.kvs.length === 0) break;
      start = Buffer.concat([page.kvs[page.kvs.length - 1]!.key, Buffer.from([0])]);
    }
    if (current !== undefined) yield [current];
  }

  /** Soonest first (ties by id). A value that does not parse as this key's timer is skipped. */
  async list(agent: string): Promise<TimerRecord[]> {
    const prefix = this.keys.timersPrefix(agent);
    const stored = await this.connection.call('list an agent\'s timers', () => this.connection.client.getAll().prefix(prefix).strings());
    const timers: TimerRecord[] = [];
    for (const [key, value] of Object.entries(stored)) {
      const timer = parseTimer(value, agent, key.slice(prefix.length));
      if (timer) timers.push(timer);
    }
    return timers.sort(byDueTime);
  }
}

/** A value under the timer table whose content names the key it is stored under; undefined otherwise. */
function parseTimerEntry(value: string, key: string, keyOf: (agent: string, id: string) => string): TimerRecord | undefined {
  try {
    const timer = validateTimerRecord(JSON.parse(value) as TimerRecord, true);
    return keyOf(timer.agent, timer.id) === key ? timer : undefined;
  } catch {
    return undefined;
  }
}

/** A foreign or damaged value (or one whose content disagrees with its key) counts as absent. */
function parseTimer(value: string, agent: string, id: string): TimerRecord | undefined {
  try {
    const timer = validateTimerRecord(JSON.parse(value) as TimerRecord, true);
    return timer.agent === agent && timer.id === id ? timer : undefined;
  } catch {
    return undefined;
  }
}
