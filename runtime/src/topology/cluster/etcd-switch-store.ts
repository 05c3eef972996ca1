/**
 * The cluster's kill switch in etcd (decision 1403): `<prefix>control/frozen` while the cluster is
 * frozen, `<prefix>control/suspended/<agent>` per suspended agent. Both sit inside the range every
 * node mirrors and watches (registry/etcd/keys.ts), so a change reaches every node with one watch
 * event, a node joining later reads it with the mirror before any agent starts, and a suspended
 * agent stays suspended on whichever node placement moves it to. No lease: the switch outlives the
 * node that set it.
 */
import type { EtcdRegistry } from '../../registry/etcd/etcd-registry.js';
import type { SwitchState, SwitchStore } from '../../node/kill-switch/switch-store.js';

export class EtcdSwitchStore implements SwitchStore {
  constructor(
    private readonly registry: EtcdRegistry,
    private readonly nodeId: string,
  ) {}

  async read(): Promise<SwitchState> {
    return this.current();
  }

  setFrozen(frozen: boolean): Promise<void> {
    const key = `${this.registry.keys.controlPrefix()}frozen`;
    return frozen ? this.put(key, 'freeze the cluster') : this.remove(key, 'thaw the cluster');
  }

  setSuspended(agent: string, suspended: boolean): Promise<void> {
    const key = `${this.registry.keys.controlPrefix()}suspended/${agent}`;
    return suspended ? this.put(key, `suspend ${agent}`) : this.remove(key, `resume ${agent}`);
  }

  watch(listener: (state: SwitchState) => void): () => void {
    const prefix = this.registry.keys.controlPrefix();
    return this.registry.watchRaw((changes) => {
      if (changes.some((c) => c.key.startsWith(prefix))) listener(this.current());
    });
  }

  private current(): SwitchState {
    const prefix = this.registry.keys.controlPrefix();
    let frozen = false;
    const suspended: string[] = [];
    for (const e of this.registry.entriesUnder(prefix)) {
      const rest = e.key.slice(prefix.length);
      if (rest === 'frozen') frozen = true;
      else if (rest.startsWith('suspended/') && rest.length > 'suspended/'.length) suspended.push(rest.slice('suspended/'.length));
    }
    return { frozen, suspended: suspended.sort() };
  }

  private async put(key: string, what: string): Promise<void> {
    const { connection } = this.registry;
    const value = JSON.stringify({ by: this.nodeId, at: Date.now() });
    const res = await connection.call(what, () => connection.client.put(key).value(value).exec());
    const revision = Number(res.header.revision);
    // Read our own write at once: a watch echo of an older change must not undo it here.
    this.registry.mirrorApply(
      key,
      { key, value: Buffer.from(value), createRevision: revision, modRevision: revision, lease: '0' },
      revision,
    );
  }

  private async remove(key: string, what: string): Promise<void> {
    const { connection } = this.registry;
    const res = await connection.call(what, () => connection.client.delete().key(key).exec());
    this.registry.mirrorApply(key, undefined, Number(res.header.revision));
  }
}
