/**
 * Three `caxton serve` nodes on real Kafka and etcd, one of which (the victim) runs with a fault
 * point armed (`CAXTON_FAULT_POINT`, runtime/src/faults/fault-points.ts): it kills itself with SIGKILL
 * the n-th time it reaches that step boundary of a handling plan. Once the survivors have taken
 * its partitions, the victim is started again on its data directory with the next scenario's
 * point armed, and takes its partitions (and their agents) back. Every node's tail is read while it
 * lives, so a test sees each message a node's bus accepted (an agent's answer to the operator
 * included) — what a killed node accepted just before its death may be missing.
 */
import type { MessageEvent } from '@caxton/core';
import type { CaxtonClient, StreamHandle } from '@caxton/runtime';
import { partitionFor, partitionOwner } from '@caxton/runtime';
import { Etcd3 } from 'etcd3';
import { groupSettled, placement, waitFor } from './cluster.js';
import { NodeProcess, startAll, type Exit } from './node-process.js';
import type { Servers } from './servers.js';

export const NODE_IDS = ['n1', 'n2', 'n3'] as const;
export const VICTIM = 'n3';
/** The deliveries topic's partitions (the default a first node creates). */
const PARTITIONS = 12;

/** `count` names `<base>-<i>` (i from 0) whose mail the victim consumes (`on`) or a survivor does. */
export function namesPlaced(base: string, count: number, on: boolean): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < count; i++) {
    const name = `${base}-${i}`;
    if ((partitionOwner(partitionFor(name, PARTITIONS), NODE_IDS) === VICTIM) === on) out.push(name);
  }
  return out;
}

export interface Seen {
  node: string;
  event: MessageEvent;
}

export class CrashCluster {
  /** Every message a node's tail reported, in arrival order. */
  readonly seen: Seen[] = [];
  readonly etcd: Etcd3;
  private readonly tails: StreamHandle[] = [];
  private readonly clients = new Map<string, CaxtonClient>();
  /** Every process started, restarts of the victim included (the fixture stops them all). */
  readonly processes: NodeProcess[] = [];

  private constructor(
    readonly servers: Servers,
    readonly clusterName: string,
    readonly survivors: [NodeProcess, NodeProcess],
    public victim: NodeProcess,
  ) {
    this.etcd = new Etcd3({ hosts: servers.etcd });
    this.processes.push(...survivors, victim);
  }

  /** Starts n1 and n2 unarmed and the victim with `fault` armed; waits until all serve and their tails listen. */
  static async start(servers: Servers, clusterName: string, fault: string): Promise<CrashCluster> {
    const spec = (id: string) => ({ id, kafka: servers.kafka, etcd: servers.etcd, cluster: { name: clusterName, leaseTtlSeconds: 3 } });
    const n1 = NodeProcess.cli(spec('n1'));
    const n2 = NodeProcess.cli(spec('n2'));
    const n3 = NodeProcess.cli(spec(VICTIM), [], { CAXTON_FAULT_POINT: fault });
    await startAll([n1, n2, n3]);
    // Settled before the fault is armed, as after a restart: a late join would move partitions mid-scenario.
    await groupSettled([n1, n2, n3], 90_000);
    const c = new CrashCluster(servers, clusterName, [n1, n2], n3);
    for (const n of [n1, n2, n3]) await c.listen(n);
    return c;
  }

  /** The client of a live node (`n1`, `n2`, or the victim while it lives). */
  client(id: string): CaxtonClient {
    const c = this.clients.get(id);
    if (c === undefined) throw new Error(`no client of ${id}`);
    return c;
  }

  /** The survivors' clients. */
  get survivorClients(): CaxtonClient[] {
    return this.survivors.map((n) => this.client(n.id));
  }

  /** Starts the victim again on its data directory with `fault` armed, and waits until it serves and the group gave it its partitions. */
  async restartVictim(fault: string): Promise<void> {
    if (this.victim.alive) throw new Error('the victim still runs');
    const old = this.victim;
    this.victim = NodeProcess.cli({ ...old.spec, dataDir: old.spec.dataDir }, [], { CAXTON_FAULT_POINT: fault });
    this.processes.push(this.victim);
    await this.victim.ready();
    await this.listen(this.victim);
    await groupSettled([...this.survivors, this.victim], 90_000);
  }

  /** Until status (etcd claims) shows every agent of `agents` run by `node`. */
  async placedOn(agents: readonly string[], node: string): Promise<void> {
    await waitFor(
      `${agents.join(', ')} to run on ${node}`,
      async () => {
        const p = await placement(this.client('n1'));
        return agents.every((a) => p.get(a) === node);
      },
      90_000,
      200,
    );
  }

  /** The victim's death, which must be by SIGKILL (its fault point); then the survivors hold every partition. */
  async victimKilled(timeoutMs = 120_000): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([
      this.victim.exited,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`the victim did not reach its fault point within ${timeoutMs} ms:\n${this.victim.stderr.slice(-2000)}`)),
          timeoutMs,
        );
      }),
    ]).finally(() => clearTimeout(timer));
    this.clients.delete(VICTIM); // closed by its process handle
    await groupSettled([...this.survivors, this.victim], 90_000);
    return exit;
  }

  /** The client of the node whose status says it runs `agent` (a named agent: its claim in etcd). */
  async ownerOf(agent: string): Promise<CaxtonClient> {
    const node = await waitFor(
      `${agent} to have an owner among the live nodes`,
      async () => {
        const owner = (await placement(this.client('n1'))).get(agent);
        return owner !== undefined && this.clients.has(owner) ? owner : undefined;
      },
      60_000,
      200,
    );
    return this.client(node);
  }

  /** Messages seen in reply to `replyWith` (any node), optionally of one performative. */
  replies(replyWith: string, performative?: string): Seen[] {
    return this.seen.filter(
      (s) => s.event.message.inReplyTo === replyWith && (performative === undefined || s.event.message.performative === performative),
    );
  }

  /** Sends a request (or query-ref) to `agent` through n1 and waits for an answer to it from a survivor's node; returns its content. */
  async ask(agent: string, performative: 'request' | 'query-ref', content: string, replyWith: string): Promise<string> {
    await this.client('n1').send({ structured: { performative, receivers: [{ name: agent }], content, replyWith } });
    const answer = await waitFor(
      `${agent} to answer ${replyWith} ("${content}")`,
      () => this.replies(replyWith).find((s) => s.node !== VICTIM),
      90_000,
      100,
    );
    return answer.event.message.content ?? '';
  }

  /** Timers of `agent` in the etcd registry. */
  async timersInRegistry(agent: string): Promise<number> {
    return this.etcd.getAll().prefix(`/caxton/${this.clusterName}/store/timers/${agent}/`).count();
  }

  async close(): Promise<void> {
    for (const t of this.tails.splice(0)) t.cancel();
    this.clients.clear(); // each closed by its process handle as it stops
    this.etcd.close();
  }

  private async listen(node: NodeProcess): Promise<void> {
    const client = await node.client();
    this.clients.set(node.id, client);
    const tail = client.tail({}, (event) => this.seen.push({ node: node.id, event }));
    tail.done.catch(() => undefined); // a killed node's stream ends with an error
    this.tails.push(tail);
    await tail.ready;
  }
}
