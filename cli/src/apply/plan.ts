/**
 * What an apply changes (decision 2169): the agents the file declares, each with the digest of
 * its component, against what the node (or cluster) runs — pure, no I/O, so the plan `caxton diff`
 * shows is the one `caxton apply` carries out. Each difference becomes the operator's own command
 * (deploy, upgrade, scale, stop): an apply is those commands in order, each audited as it is.
 */
import {
  AGENT_LIMIT_TABLE,
  DEFAULT_PRIORITY_CLASS,
  REDACTED_CONFIG_VALUE,
  type AgentLimitsSpec,
  type AgentStatus,
  type DeployableLimitName,
} from '@caxton/core';
import { UsageError } from '../cli-error.js';
import type { DeclaredAgent } from './manifest.js';

/** A declared agent with its component read: the digest is what the node records (sha256 of the bytes). */
export interface DesiredAgent extends DeclaredAgent {
  digest: string;
}

/** What the plan reads of a running agent (a status from ListAgents or GetAgent). */
export type CurrentAgent = Pick<
  AgentStatus,
  'name' | 'artifactDigest' | 'config' | 'limits' | 'topics' | 'replicas' | 'kind' | 'rollout' | 'near'
> & {
  state: AgentStatus['state'] | 'unknown';
};

export type Step =
  | { op: 'deploy'; agent: string; kind: boolean }
  | { op: 'upgrade'; agent: string; why: string[]; rollout: boolean }
  | { op: 'scale'; agent: string; from: number; to: number }
  | { op: 'stop'; agent: string; why: string }
  | { op: 'unchanged'; agent: string }
  /** What the plan will not do, and why (the operator decides): not carried out. */
  | { op: 'refused'; agent: string; why: string };

export interface PlanOptions {
  /** Stop what the file does not name (`--prune`). */
  prune: boolean;
}

/** Whether a step changes anything. */
export const changes = (s: Step): boolean => s.op !== 'unchanged' && s.op !== 'refused';

const sameMap = (a: Record<string, string>, b: Record<string, string>): boolean => {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
};

const sameList = (a: readonly string[], b: readonly string[]): boolean => {
  if (a.length !== b.length) return false;
  const sortedB = [...b].sort();
  return [...a].sort().every((x, i) => x === sortedB[i]);
};

/** The limits the file names that differ from the running ones (a limit the file leaves out keeps its value), by the file's keys. */
function changedLimits(desired: Partial<AgentLimitsSpec> | undefined, current: AgentLimitsSpec): string[] {
  if (desired === undefined) return [];
  return (Object.keys(desired) as (keyof AgentLimitsSpec)[])
    .filter((k) => desired[k] !== current[k])
    .map((k) => `limits.${AGENT_LIMIT_TABLE[k as DeployableLimitName]?.deploy.flag ?? k}`);
}

/** States in which an agent is changing: nothing is planned for it until it settles. */
const BUSY = new Set(['starting', 'upgrading', 'restarting', 'stopping']);

/** Why `current` is not what `want` declares, as the fields an upgrade changes; empty: nothing to upgrade. */
function upgradeReasons(want: DesiredAgent, current: CurrentAgent): string[] {
  const why: string[] = [];
  if (want.digest !== current.artifactDigest) why.push('component');
  if (!sameMap(want.config, current.config)) why.push('config');
  why.push(...changedLimits(want.limits, current.limits));
  if (want.topics !== undefined && (current.topics === undefined || !sameList(want.topics, current.topics))) why.push('topics');
  return why;
}

/**
 * `desired` with each agent after the one its `near` names when the file declares both (decision
 * 2189): placed near an agent not deployed yet, it would fall back to its own name. Otherwise in
 * the file's order; a cycle keeps it.
 */
export function nearTargetsFirst(desired: readonly DesiredAgent[]): DesiredAgent[] {
  const declared = new Set(desired.map((d) => d.name));
  const out: DesiredAgent[] = [];
  const placed = new Set<string>();
  let rest = [...desired];
  while (rest.length > 0) {
    const ready = rest.filter((d) => d.near === undefined || !declared.has(d.near) || placed.has(d.near) || d.near === d.name);
    const next = ready.length > 0 ? ready : rest; // a cycle: the file's order
    for (const d of next) {
      out.push(d);
      placed.add(d.name);
    }
    rest = rest.filter((d) => !next.includes(d));
  }
  return out;
}

/** The steps that make `current` what `desired` declares, in order: new agents, changes, then what is pruned. */
export function planApply(desired: readonly DesiredAgent[], current: readonly CurrentAgent[], o: PlanOptions): Step[] {
  const running = new Map(current.filter((a) => !a.name.includes('/')).map((a) => [a.name, a]));
  // A token that cannot read agents' config sees it redacted: every plan would read as a change.
  for (const want of desired) {
    const now = running.get(want.name);
    if (now !== undefined && Object.values(now.config).some((v) => v === REDACTED_CONFIG_VALUE))
      throw new UsageError(
        `the node shows ${want.name}'s config redacted: this token cannot read agents' config, so no plan can be compared`,
        'use a token whose role reads config (operator or admin: config.read)',
      );
  }
  const steps: Step[] = [];
  for (const want of nearTargetsFirst(desired)) {
    const now = running.get(want.name);
    // Stopped with its queue kept: a deploy takes the queue over (the node's rule for a deploy of that name).
    if (now === undefined || now.state === 'stopped') {
      steps.push({ op: 'deploy', agent: want.name, kind: want.kind !== undefined });
      if (want.replicas > 1) steps.push({ op: 'scale', agent: want.name, from: 1, to: want.replicas });
      continue;
    }
    if (BUSY.has(now.state)) {
      steps.push({ op: 'refused', agent: want.name, why: `it is ${now.state}: apply again once it settles` });
      continue;
    }
    if (now.state === 'failed') {
      steps.push({
        op: 'refused',
        agent: want.name,
        why: `it is failed (caxton agents ${want.name} says why): stop it (caxton stop ${want.name}), then apply`,
      });
      continue;
    }
    const isKind = now.kind !== undefined;
    if (isKind !== (want.kind !== undefined)) {
      steps.push({
        op: 'refused',
        agent: want.name,
        why: `runs as ${isKind ? 'an agent kind' : 'a named agent'}, the file declares ${isKind ? 'a named agent' : 'a kind'}: stop it first (caxton stop ${want.name}), then apply`,
      });
      continue;
    }
    if (want.kind !== undefined && now.kind !== undefined) {
      const idle = want.kind.idleMs;
      const cap = want.kind.maxActive;
      const cls = want.kind.priorityClass;
      if (
        (idle !== undefined && idle !== now.kind.idleMs) ||
        (cap !== undefined && cap !== now.kind.maxActive) ||
        (cls !== undefined && cls !== (now.kind.priorityClass ?? DEFAULT_PRIORITY_CLASS))
      )
        steps.push({
          op: 'refused',
          agent: want.name,
          why: `its kind settings (idle, max-active, priority-class) apply at its deploy only: stop it (caxton stop ${want.name}), then apply`,
        });
    }
    // Its placement is fixed at its first deploy (decision 2189): a file naming another is not an upgrade the node would take.
    if (want.near !== undefined && want.near !== now.near?.agent) {
      steps.push({
        op: 'refused',
        agent: want.name,
        why:
          now.near?.key === undefined
            ? `it was deployed placed by its own name, the file says near ${want.near}, and its placement is fixed for its deployment: stop it (caxton stop ${want.name}), then apply (with a fresh state)`
            : `it was deployed near ${now.near.agent}, the file says near ${want.near}, and in a cluster a placement near another agent is kept for good: deploy it under another name near ${want.near}`,
      });
      continue;
    }
    const rollout = now.rollout;
    const phase = rollout?.phase;
    if (rollout !== undefined && (phase === 'baking' || phase === 'promoting' || phase === 'rolling-back')) {
      // The file's version is being rolled out: nothing to do until it ends. Another version: wait too.
      steps.push(
        rollout.candidateDigest === want.digest
          ? { op: 'unchanged', agent: want.name }
          : {
              op: 'refused',
              agent: want.name,
              why: `a rollout of version ${rollout.candidateVersion} is in progress: apply again once it ends`,
            },
      );
      continue;
    }
    const why = upgradeReasons(want, now);
    const asRollout = want.rollout !== undefined && why.includes('component');
    // The file's component was rolled out and rolled back (or aborted): the same rollout would end the same way.
    if (asRollout && rollout !== undefined && (phase === 'rolled-back' || phase === 'aborted') && rollout.candidateDigest === want.digest) {
      steps.push({
        op: 'refused',
        agent: want.name,
        why: `its rollout of this component was ${phase}${rollout.reason ? ` (${rollout.reason})` : ''}: change the component, or upgrade it by hand`,
      });
      continue;
    }
    const runningCount = now.replicas?.replicas ?? 1;
    const recorded = now.replicas?.recorded ?? runningCount;
    if (why.length === 0) {
      // Unchanged only when what runs and what is recorded both say the file's count.
      steps.push(
        runningCount === want.replicas && recorded === want.replicas
          ? { op: 'unchanged', agent: want.name }
          : { op: 'scale', agent: want.name, from: recorded === want.replicas ? runningCount : recorded, to: want.replicas },
      );
      continue;
    }
    const scaled = Math.max(runningCount, recorded);
    if (!asRollout) {
      // A scaled agent is upgraded in place (decision 2176): a scale-down goes first (fewer replicas
      // to swap), a scale-up after (the new replicas start on the new version) — also when what
      // runs is short of what is recorded (a start while held: the upgrade keeps what runs).
      const down = want.replicas < scaled;
      if (down) steps.push({ op: 'scale', agent: want.name, from: scaled, to: want.replicas });
      steps.push({ op: 'upgrade', agent: want.name, why, rollout: false });
      if (!down && (runningCount !== want.replicas || recorded !== want.replicas))
        steps.push({ op: 'scale', agent: want.name, from: recorded === want.replicas ? runningCount : recorded, to: want.replicas });
      continue;
    }
    // A rollout is refused while scaled (decision 2176): down to one first; the scale-up waits for
    // its end (apply again then).
    if (scaled > 1) steps.push({ op: 'scale', agent: want.name, from: scaled, to: 1 });
    steps.push({ op: 'upgrade', agent: want.name, why, rollout: true });
    if (want.replicas > 1)
      steps.push({ op: 'refused', agent: want.name, why: `scale to ${want.replicas} after the rollout ends: apply again then` });
  }
  if (o.prune) {
    const named = new Set(desired.map((d) => d.name));
    for (const name of [...running.keys()].sort())
      if (!named.has(name)) steps.push({ op: 'stop', agent: name, why: 'not in the file; --prune' });
  }
  return steps;
}

/** The steps that remove what the file names (`caxton delete -f`): each declared agent that runs. */
export function planDelete(declared: readonly { name: string }[], current: readonly CurrentAgent[]): Step[] {
  const running = new Set(current.map((a) => a.name));
  return declared.map((d) =>
    running.has(d.name) ? { op: 'stop', agent: d.name, why: 'named in the file' } : { op: 'unchanged', agent: d.name },
  );
}

/** One line per step, as `caxton diff` and `caxton apply` print the plan. */
export function formatStep(s: Step): string {
  switch (s.op) {
    case 'deploy':
      return `+ deploy ${s.kind ? 'kind ' : ''}${s.agent}`;
    case 'upgrade':
      return `~ upgrade ${s.agent} (${s.why.join(', ')})${s.rollout ? ' as a rollout' : ''}`;
    case 'scale':
      return `^ scale ${s.agent} ${s.from} -> ${s.to}`;
    case 'stop':
      return `- stop ${s.agent} (${s.why})`;
    case 'unchanged':
      return `= ${s.agent} unchanged`;
    case 'refused':
      return `! ${s.agent}: ${s.why}`;
  }
}
