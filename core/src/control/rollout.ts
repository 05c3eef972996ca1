/**
 * Blue-green and canary rollouts (decision 1871), the pure part: the strategy as the operator
 * writes it, which version a conversation goes to, and the controller that watches the new
 * version and decides to promote it or roll it back. No I/O and no clock of its own: the node
 * (runtime/src/node/rollouts.ts) feeds it handlings and the time.
 */
import { CaxtonError } from '../errors.js';
import { InvalidArgumentError } from './errors.js';
import { ROLLOUT_BOUNDS, type RolloutThresholds } from './limits/index.js';

/** `blue-green`: every new conversation goes to the new version at once; `canary`: `percent` of them. */
export type RolloutStrategy = { kind: 'blue-green' } | { kind: 'canary'; percent: number };

/**
 * Where a rollout is: `baking` while both versions run; `promoting`/`rolling-back` while the
 * verdict is carried out; then `promoted`, `rolled-back` (by the controller) or `aborted` (by an
 * operator's rollback or stop, or a node that lost the new instance).
 */
export type RolloutPhase = 'baking' | 'promoting' | 'rolling-back' | 'promoted' | 'rolled-back' | 'aborted';

/** The version a piece of work goes to: the one running (`current`) or the one being rolled out. */
export type RolloutSide = 'current' | 'candidate';

/** What the new version did so far, as the controller judges it. */
export interface RolloutCounts {
  /** Handlings that ran to an end on the new version (ok, failure reply or crash). */
  handled: number;
  crashes: number;
  failures: number;
  /** The 99th percentile handle time of the recent handlings, ms; absent before any. */
  p99Ms?: number;
}

/** A rollout as `caxton agents` and the API show it. */
export interface RolloutView {
  strategy: RolloutStrategy;
  phase: RolloutPhase;
  /** The version being rolled out (the running one is the agent's `version`). */
  candidateVersion: number;
  candidateDigest: string;
  startedAt: number;
  /** When the bake ends (promotion, if within the thresholds). */
  bakeUntil: number;
  thresholds: RolloutThresholds;
  counts: RolloutCounts;
  /** Why it was rolled back or aborted. */
  reason?: string;
}

/** The share of new conversations the new version gets, in percent. */
export function strategyPercent(strategy: RolloutStrategy): number {
  return strategy.kind === 'blue-green' ? 100 : strategy.percent;
}

/** `blue-green` or `canary:<1..100>` (`canary:25`, `canary:25%`), as `--strategy` takes it. */
export function parseStrategy(text: string, field = 'strategy'): RolloutStrategy {
  const t = text.trim();
  if (t === 'blue-green') return { kind: 'blue-green' };
  const m = /^canary:(\d{1,3})%?$/.exec(t);
  const percent = m ? Number(m[1]) : NaN;
  if (!m || percent < 1 || percent > 100) {
    throw new InvalidArgumentError(
      field,
      `"${text.slice(0, 40)}" is not a rollout strategy`,
      'use blue-green, or canary:<percent> with a whole percent in 1..100 (e.g. canary:10)',
    );
  }
  return { kind: 'canary', percent };
}

export function formatStrategy(strategy: RolloutStrategy): string {
  return strategy.kind === 'blue-green' ? 'blue-green' : `canary:${strategy.percent}`;
}

/** FNV-1a, 32 bits, over UTF-16 code units: a stable hash, the same on every node and every run. */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * Does a new conversation go to the new version? Deterministic: the same conversation, salt and
 * percent always give the same answer, and about `percent` of conversations get `true`.
 */
export function conversationToCandidate(conversation: string, salt: string, percent: number): boolean {
  if (percent >= 100) return true;
  if (percent <= 0) return false;
  return fnv1a32(`${salt}\u0000${conversation}`) % 10_000 < percent * 100;
}

/**
 * Does a key of a kind go to the new version (a rollout by key, decision 2175)? The same split
 * salted by the kind and the candidate version: a key stays on one version for the whole rollout.
 */
export function keyToCandidate(kind: string, key: string, candidateVersion: number, strategy: RolloutStrategy): boolean {
  return conversationToCandidate(key, `${kind}#${candidateVersion}`, strategyPercent(strategy));
}

/** What the split reads of a message: its conversation, whether it answers one, its id. */
export interface SplitMessage {
  conversationId?: string | undefined;
  inReplyTo?: string | undefined;
  messageId: string;
}

/**
 * Which version each conversation goes to during a rollout. A conversation keeps the version it
 * started on: the first message of one the rollout sees decides it — an opener (no `in-reply-to`)
 * by the hash, an answer to a conversation started before the rollout goes to the current version
 * — and the answer is remembered (bounded, least recently used forgotten first). Conversations a version itself
 * starts (its sends) are remembered for that version, so their answers come back to it. Timers and
 * messages without a conversation id: a timer to the current version, a message alone is its own
 * conversation (its id is hashed).
 */
export class ConversationSplit {
  private readonly pinned = new Map<string, RolloutSide>();

  constructor(
    private readonly salt: string,
    private percent: number,
    private readonly maxPinned: number = ROLLOUT_BOUNDS.maxPinnedConversations,
  ) {}

  route(message: SplitMessage): RolloutSide {
    const conversation = message.conversationId;
    if (conversation === undefined || conversation === '') {
      return conversationToCandidate(message.messageId, this.salt, this.percent) ? 'candidate' : 'current';
    }
    const known = this.pinned.get(conversation);
    if (known !== undefined) {
      // Least recently used is forgotten first: a conversation in use keeps its version.
      this.pinned.delete(conversation);
      this.pinned.set(conversation, known);
      return known;
    }
    const answersEarlier = message.inReplyTo !== undefined && message.inReplyTo !== '';
    const side: RolloutSide = !answersEarlier && conversationToCandidate(conversation, this.salt, this.percent) ? 'candidate' : 'current';
    this.pin(conversation, side);
    return side;
  }

  /** A version sent in `conversation`: its answers belong to it (unless the conversation is known). */
  started(conversation: string | undefined, side: RolloutSide): void {
    if (conversation === undefined || conversation === '' || this.pinned.has(conversation)) return;
    this.pin(conversation, side);
  }

  /** Conversations remembered (bounded by `maxPinned`). */
  get size(): number {
    return this.pinned.size;
  }

  private pin(conversation: string, side: RolloutSide): void {
    if (this.pinned.size >= this.maxPinned) {
      const oldest = this.pinned.keys().next().value;
      if (oldest !== undefined) this.pinned.delete(oldest);
    }
    this.pinned.set(conversation, side);
  }
}

/** One handling of the new version, as the controller counts it. */
export interface RolloutSample {
  outcome: 'ok' | 'failure' | 'crashed';
  /** Handle time, ms (absent when the sandbox did not measure it). */
  durationMs?: number | undefined;
}

/** What the controller wants done now. */
export type RolloutVerdict = { kind: 'wait'; until: number } | { kind: 'promote' } | { kind: 'rollback'; reason: string };

/**
 * The rollout's state machine: fed the new version's handlings and the time, it answers wait,
 * promote or roll back. Rates and the p99 are judged once `minSamples` handlings were seen (a
 * first crash among two handlings is not yet a rate); when the bake ends they are judged on
 * whatever was seen, and the new version is promoted if within every threshold and at least
 * `minSamples` handlings were seen (fewer: rolled back, never promoted blindly). Once it has
 * answered promote or roll back it answers the same for ever (`settle` records the end).
 */
export class RolloutController {
  private handled = 0;
  private crashes = 0;
  private failures = 0;
  private readonly durations: number[] = [];
  private nextDuration = 0;
  /** The p99 when the rollout ended, kept once its samples were let go. */
  private endedP99: number | undefined;
  private decided: Exclude<RolloutVerdict, { kind: 'wait' }> | undefined;
  private phaseNow: RolloutPhase = 'baking';
  private why: string | undefined;

  constructor(
    readonly thresholds: RolloutThresholds,
    readonly startedAt: number,
    private readonly bounds: { readonly minSamples: number; readonly latencySamples: number } = ROLLOUT_BOUNDS,
  ) {}

  get bakeUntil(): number {
    return this.startedAt + this.thresholds.bakeMs;
  }

  get phase(): RolloutPhase {
    return this.phaseNow;
  }

  get reason(): string | undefined {
    return this.why;
  }

  /** `held`: the agent is held by the kill switch, so the bake's end is not a promotion (yet). */
  observe(sample: RolloutSample, now: number, held = false): RolloutVerdict {
    if (this.decided === undefined) {
      this.handled += 1;
      if (sample.outcome === 'crashed') this.crashes += 1;
      else if (sample.outcome === 'failure') this.failures += 1;
      if (sample.durationMs !== undefined) {
        if (this.durations.length < this.bounds.latencySamples) this.durations.push(sample.durationMs);
        else this.durations[this.nextDuration] = sample.durationMs;
        this.nextDuration = (this.nextDuration + 1) % this.bounds.latencySamples;
      }
    }
    return this.verdict(now, held);
  }

  /**
   * The verdict at `now` (the time alone can end the bake). While `held` (frozen, suspended: the
   * operator's emergency brake) a breach still rolls back, but the bake's end waits: a version is
   * never promoted while the brake is on.
   */
  verdict(now: number, held = false): RolloutVerdict {
    if (this.decided !== undefined) return this.decided;
    const baked = now >= this.bakeUntil;
    if (this.handled >= this.bounds.minSamples || (baked && this.handled > 0)) {
      const breach = this.breach();
      if (breach !== undefined) return this.decide({ kind: 'rollback', reason: breach });
    }
    if (baked && !held) {
      // Too little seen to judge: never promoted blindly (an idle bake says nothing about the new version).
      if (this.handled < this.bounds.minSamples) {
        return this.decide({
          kind: 'rollback',
          reason: `only ${this.handled} handling(s) of the new version during the bake, fewer than the ${this.bounds.minSamples} needed to judge it`,
        });
      }
      return this.decide({ kind: 'promote' });
    }
    return { kind: 'wait', until: Math.max(this.bakeUntil, now) };
  }

  /** Stop here, whatever the numbers say (the new version could not start, wrote state, …). */
  fail(reason: string): RolloutVerdict {
    return this.decided ?? this.decide({ kind: 'rollback', reason });
  }

  /** An operator's rollback or stop ends the rollout: `aborted`, nothing promoted. */
  abort(reason: string): void {
    if (this.phaseNow === 'promoted' || this.phaseNow === 'rolled-back' || this.phaseNow === 'aborted') return;
    this.decided ??= { kind: 'rollback', reason };
    this.why ??= reason;
    this.phaseNow = 'aborted';
  }

  /** The verdict was carried out. */
  settle(): void {
    if (this.decided === undefined || this.phaseNow === 'aborted') return;
    this.phaseNow = this.decided.kind === 'promote' ? 'promoted' : 'rolled-back';
  }

  /**
   * The rollout ended: its p99 is kept as it was and its handle-time samples are let go, so an
   * ended rollout shown until the next one holds no more than its numbers.
   */
  release(): void {
    if (this.durations.length > 0) this.endedP99 = this.p99();
    this.durations.length = 0;
    this.nextDuration = 0;
  }

  counts(): RolloutCounts {
    const p99 = this.p99();
    return { handled: this.handled, crashes: this.crashes, failures: this.failures, ...(p99 !== undefined ? { p99Ms: p99 } : {}) };
  }

  private decide(verdict: Exclude<RolloutVerdict, { kind: 'wait' }>): RolloutVerdict {
    this.decided = verdict;
    this.phaseNow = verdict.kind === 'promote' ? 'promoting' : 'rolling-back';
    if (verdict.kind === 'rollback') this.why = verdict.reason;
    return verdict;
  }

  private breach(): string | undefined {
    const t = this.thresholds;
    const pct = (n: number): number => (n * 100) / this.handled;
    if (pct(this.crashes) > t.maxCrashRatePercent) {
      return `crash rate ${this.crashes}/${this.handled} above ${t.maxCrashRatePercent}%`;
    }
    if (pct(this.failures) > t.maxFailureRatePercent) {
      return `failure rate ${this.failures}/${this.handled} above ${t.maxFailureRatePercent}%`;
    }
    const p99 = this.p99();
    if (p99 !== undefined && p99 > t.maxP99Ms) return `p99 handle time ${p99} ms above ${t.maxP99Ms} ms`;
    return undefined;
  }

  private p99(): number | undefined {
    if (this.durations.length === 0) return this.endedP99;
    const sorted = [...this.durations].sort((a, b) => a - b);
    return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)]! * 1000) / 1000;
  }
}

/**
 * A canary asked of an agent that keeps durable state (entries, or a version that writes some):
 * splitting its conversations would give two versions a view each of one state (decision 2170).
 * A blue-green rollout of it is a handover instead. `entries` 0: refused on what a version writes.
 */
export class RolloutStatefulError extends CaxtonError {
  constructor(agent: string, entries: number) {
    const why = entries > 0 ? `it keeps durable state (${entries}+ entries)` : 'a version of it writes durable state';
    super('rollout.stateful-agent', `cannot split ${agent}'s conversations between two versions: ${why}`, {
      kind: 'failed-precondition',
      context: { agent, entries },
      hint: `roll ${agent} out with --strategy blue-green (the new version takes its state over and handles every message until it is promoted or rolled back, which hands the state back as it is then), or upgrade it without --strategy; a canary of durable state is a kind's, by key (deploy it with --kind <name>)`,
    });
  }
}

/** A second rollout, or an upgrade, while one is in progress. */
export class RolloutInProgressError extends CaxtonError {
  constructor(agent: string, candidateVersion: number) {
    super('rollout.in-progress', `a rollout of ${agent} (version ${candidateVersion}) is in progress`, {
      kind: 'failed-precondition',
      context: { agent, candidateVersion },
      hint: `wait for it to be promoted or rolled back (\`caxton agents\` shows its phase), or abort it with \`caxton rollback ${agent}\``,
    });
  }
}

/** A rollout asked of a node that cannot run one for this agent (cluster placement). */
export class RolloutUnsupportedError extends CaxtonError {
  constructor(agent: string, why: string) {
    super('rollout.unsupported', `cannot roll out ${agent} with a strategy: ${why}`, {
      kind: 'failed-precondition',
      context: { agent },
      hint: 'upgrade without --strategy (drain and swap), then `caxton rollback` if the new version misbehaves',
    });
  }
}
