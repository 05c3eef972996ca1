/**
 * An upgrade that proves itself (issue 57): before a new version replaces the running one, the node
 * replays that much of the agent's recorded traffic on it and refuses the upgrade when it crashes
 * where the recorded version completed, or differs in a way the operator did not accept. The shapes
 * every layer shares, and the errors; the bounds are REPLAY_GATE_LIMIT_TABLE's (limits/replay-limits.ts).
 */
import { CaxtonError } from '../errors.js';
import { InvalidArgumentError } from './errors.js';
import type { HttpPolicy } from './http.js';
import type { TopicPatterns } from './topic-patterns.js';

/** The deployment recorded traffic is replayed under, as far as a replay needs it (issue 57). */
export interface RecordedDeployment {
  name: string;
  version: number;
  artifactDigest: string;
  /** With the name, what the agent's ids derive from (decision 2174). */
  createdAt: number;
  /** When this version was deployed (its record's last update): handlings from before ran another version. */
  versionSince?: number;
  limits?: Record<string, unknown>;
  config?: Record<string, string>;
  /** What its `fetch` may call, and the topics it may subscribe to: refused differently otherwise. */
  http?: HttpPolicy;
  topics?: TopicPatterns;
}

/** What differences an operator accepts: `sends` (messages, timers, HTTP requests), `state` (own writes). */
export type ReplayAcceptedDiff = 'sends' | 'state';

export const REPLAY_ACCEPTED_DIFFS: readonly ReplayAcceptedDiff[] = Object.freeze(['sends', 'state']);

export interface ReplayGateSpec {
  /** Replay the agent's last N recorded handlings (exactly one of this and `sinceMs`). */
  handlings?: number;
  /** Replay the handlings of work from the last `sinceMs` ms. */
  sinceMs?: number;
  /** Differences that do not refuse the upgrade (a crash always does). */
  accept: readonly ReplayAcceptedDiff[];
}

/** `--accept-diff` as given: `none`, or a comma-separated list of `sends` and `state`. */
export function parseAcceptDiff(values: readonly string[], field: string): ReplayAcceptedDiff[] {
  const out = new Set<ReplayAcceptedDiff>();
  for (const raw of values.flatMap((v) => v.split(','))) {
    const v = raw.trim();
    if (v === '' || v === 'none') continue;
    if (v !== 'sends' && v !== 'state')
      throw new InvalidArgumentError(
        field,
        `${JSON.stringify(v.slice(0, 40))} is not a difference a replay reports`,
        'accept sends, state, both (sends,state) or none',
      );
    out.add(v);
  }
  return [...out];
}

/** What a refused replay found, for the error and the audit. */
export interface ReplayGateVerdict {
  replayed: number;
  crashed: number;
  /** Handlings whose sends (or timers, or HTTP requests) differ; whose own state writes differ. */
  sendsDiffer: number;
  stateDiffer: number;
  /** The first refusing handling, said in one line. */
  first: string;
}

export class UpgradeReplayRefusedError extends CaxtonError {
  constructor(agent: string, version: number, v: ReplayGateVerdict) {
    super(
      'agent.upgrade-replay-refused',
      `the new version of ${agent} was refused by its replay: of ${v.replayed} recorded handlings, ${v.crashed} crashed, ${v.sendsDiffer} sent otherwise, ${v.stateDiffer} wrote other state (first: ${v.first}); version ${version} keeps running`,
      {
        kind: 'failed-precondition',
        context: { agent, version, ...v },
        hint: `see each handling with \`caxton replay ${agent} --with <new version>\`; accept differences you expect with --accept-diff sends|state (a crash is never accepted)`,
      },
    );
  }
}

/**
 * A conversation's step view (issue 57) the node cannot give: no log to read back (a memory log),
 * a kind (its instances are replayed), or a replay past the node's bound on its time.
 */
export class ReplayStepsUnsupportedError extends CaxtonError {
  constructor(agent: string, why: string, hint: string) {
    super('agent.replay-unsupported', `cannot replay ${agent}'s conversation on this node: ${why}`, {
      kind: 'failed-precondition',
      context: { agent },
      hint,
    });
  }
}

/** As many replays as the node runs at once are running (they share its thread): come back shortly. */
export class ReplayBusyError extends CaxtonError {
  constructor(agent: string, running: number) {
    super('agent.replay-busy', `cannot replay ${agent}'s conversation now: ${running} replays are running on this node`, {
      kind: 'resource-exhausted',
      context: { agent, running, retryAfterMs: 1000 },
      hint: 'try again in a moment, or replay beside the node with `caxton replay <agent> --conversation <id> --trace`',
    });
  }
}

export class ReplayGateUnsupportedError extends CaxtonError {
  constructor(agent: string, why: string) {
    super('agent.replay-unsupported', `cannot replay ${agent}'s traffic before upgrading it: ${why}`, {
      kind: 'failed-precondition',
      context: { agent },
      hint: 'upgrade without --replay, or replay by hand first with `caxton replay` on a node that keeps its log on disk',
    });
  }
}
