/**
 * Durable agent timers in etcd, under `<prefix>store/timers/<agent>/<id>` (keys.ts). Outside the
 * mirrored range: only the node running the agent reads them, straight from etcd (on start or
 * takeover), so they are shared cluster state without flowing through every node's watch. Plain
 * puts, no lease: a timer must outlive the node that set it, so the next owner of the agent fires it.
 */
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

/** A foreign or damaged value (or one whose content disagrees with its key) counts as absent. */
function parseTimer(value: string, agent: string, id: string): TimerRecord | undefined {
  try {
    const timer = validateTimerRecord(JSON.parse(value) as TimerRecord, true);
    return timer.agent === agent && timer.id === id ? timer : undefined;
  } catch {
    return undefined;
  }
}
