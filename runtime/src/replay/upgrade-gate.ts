/**
 * `caxton upgrade --replay` (issue 57): before a new version replaces the running one, the node runs
 * it on the agent's recorded handlings — the last N, or those of a window — read from its own log,
 * as `caxton replay` does beside it (replayer.ts), and refuses the upgrade (a typed error with the
 * counts and the first refusing handling) when it crashes where the recorded version completed,
 * or differs in a way the operator did not accept. Nothing of the replay is applied anywhere.
 *
 * The replay runs in the node's own thread: it yields to the event loop every YIELD_EVERY handlings
 * so the node's traffic goes on meanwhile. "The last N" takes two passes over the log (one to
 * count, one to run), so memory stays bounded whatever the log holds.
 */
import { UpgradeReplayRefusedError, type ReplayGateSpec, type ReplayGateVerdict } from '@caxton/core';
import type { Engine } from '@caxton/sandbox';
import { readEmbeddedHistory } from './embedded-history.js';
import type { RecordedDeployment, RecordedHandling } from './recorded.js';
import { Replayer, type HandlingReport } from './replayer.js';

export interface UpgradeGateOptions {
  engine: Engine;
  /** The node's embedded log directory. */
  logDir: string;
  /** The node's platform name (agents are `<name>@<platform>`). */
  platform: string;
  /** What `search-services` answers in the replay (the registry's directory now). */
  servicesByType?: () => Promise<ReadonlyMap<string, readonly { name: string }[]>>;
  /** The agents (and kinds) deployed: a new version's send to one the log lacks differs. */
  localAgents?: () => Promise<ReadonlySet<string>>;
  now?: () => number;
}

const YIELD_EVERY = 256;

const workTime = (h: RecordedHandling): number | undefined => (h.work.kind === 'message' ? h.work.delivery.acceptedAt : h.work.dueAt);

async function countHandlings(logDir: string, agent: string): Promise<number> {
  let n = 0;
  for await (const e of readEmbeddedHistory(logDir, agent)) if (e.kind === 'handled') n++;
  return n;
}

/** A refusing handling in one line. */
function describe(r: HandlingReport): string {
  const w = r.work;
  const what =
    w.kind === 'timer'
      ? `timer ${w.token}`
      : `${w.performative} ${w.messageId}${w.conversationId ? ` (conversation ${w.conversationId})` : ''}`;
  return `#${r.index} ${what}: ${r.differences.map((d) => (d.what === 'outcome' ? r.outcome : `${d.what} differ`)).join(', ')}`;
}

export class UpgradeGate {
  constructor(private readonly o: UpgradeGateOptions) {}

  /**
   * Replays the span `spec` names on `component` (the new version) under `deployment` (the new
   * version's limits and config, the running deployment's creation time); resolves when it may
   * replace the running one, else throws UpgradeReplayRefusedError.
   */
  async check(
    agent: string,
    version: number,
    deployment: RecordedDeployment,
    component: Uint8Array,
    spec: ReplayGateSpec,
  ): Promise<ReplayGateVerdict> {
    const now = this.o.now?.() ?? Date.now();
    let select: (h: RecordedHandling) => boolean;
    if (spec.handlings !== undefined) {
      const first = (await countHandlings(this.o.logDir, agent)) - spec.handlings;
      let seen = 0;
      select = () => seen++ >= first;
    } else {
      const from = now - spec.sinceMs!;
      select = (h) => (workTime(h) ?? 0) >= from;
    }
    const replayer = new Replayer({
      engine: this.o.engine,
      deployment,
      identity: `${agent}@${this.o.platform}`,
      component,
      select,
      ...(this.o.servicesByType === undefined ? {} : { servicesByType: await this.o.servicesByType() }),
      ...(this.o.localAgents === undefined ? {} : { localAgents: await this.o.localAgents() }),
    });
    const accept = new Set(spec.accept);
    const verdict: ReplayGateVerdict = { replayed: 0, crashed: 0, sendsDiffer: 0, stateDiffer: 0, first: '' };
    let refused = false;
    try {
      for await (const r of replayer.run(readEmbeddedHistory(this.o.logDir, agent))) {
        verdict.replayed++;
        const crashed = r.differences.some((d) => d.what === 'outcome');
        const sends = r.differences.some((d) => d.what === 'sends' || d.what === 'timers' || d.what === 'http');
        const state = r.differences.some((d) => d.what === 'state');
        if (crashed) verdict.crashed++;
        if (sends) verdict.sendsDiffer++;
        if (state) verdict.stateDiffer++;
        if (crashed || (sends && !accept.has('sends')) || (state && !accept.has('state'))) {
          if (!refused) verdict.first = describe(r);
          refused = true;
        }
        if (verdict.replayed % YIELD_EVERY === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      replayer.close();
    }
    if (refused) throw new UpgradeReplayRefusedError(agent, version, verdict);
    return verdict;
  }
}
