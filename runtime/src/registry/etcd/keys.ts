/**
 * The etcd key layout, in one place. Everything a node mirrors (deployments, DF, nodes, ownership)
 * sorts inside one key range so ONE watch stream keeps the mirror current, in revision order: a lease
 * expiry that deletes `nodes/<id>` and all its `owners/*` arrives as one event batch. Artifacts live
 * under `store/`, outside that range, so megabytes of chunks never flow through every node's watch.
 * Agent timers live there too: they are read only by the node that runs the agent (on start or
 * takeover), so every node need not mirror every pending timer.
 *
 *   <prefix>agents/<name>     AgentRecord (JSON)
 *   <prefix>df/<agent>        DfAgentDescription (JSON); bound to a lease when it has a lease-time
 *   <prefix>nodes/<id>        NodeRecord + lease id (JSON); bound to the node's membership lease
 *   <prefix>owners/<agent>    { node, lease } (JSON); bound to the owning node's lease
 *   <prefix>store/artifacts/<sha256>/manifest, .../chunks/<n>
 *   <prefix>store/timers/<agent>/<id>   TimerRecord (JSON); no lease: a timer outlives the node that set it;
 *                                       an instance's `/` is written `%2F` (`counter%2Falice`, decision 2060)
 *   <prefix>store/wakes/p<count>/<partition>/<kind>/<due, 16 digits>/<timer segment>/<id>   '' : the wake
 *                                       index of instance timers for a partition count (decision 2060,
 *                                       2026-11-24 *Wake index*), written in the same transaction as the timer,
 *                                       so a partition's wakes of a kind read in due order
 *   <prefix>store/wake-index/p<count>   the switch's mod revision: the index of that count was swept under it
 *   <prefix>store/wake-index/enabled    <count>: the operator trusts the index of that count (all nodes write it)
 *   <prefix>store/topics/<topic, URI-encoded>/<agent>   TopicSubscription (JSON); no lease (decision 1960)
 *   <prefix>store/topic-agents/<agent>/<topic, URI-encoded>   '' : the per-agent index of the above
 *   <prefix>store/topic-agents/<agent>  the agent's subscription count, the guard of its changes
 *   <prefix>store/platform              the cluster's platform name, kept by its first node (decision 1910)
 *   <prefix>store/replica-mode          across-nodes (on-owner: written by versions before decision 2168): the cluster's replica mode (2097)
 *   <prefix>store/units/<X#r<k>>/<node>  {since}: the unit is active on that node; bound to its membership lease (decision 2097)
 *   <prefix>store/absent-queues/p<partition>  the partition's shared count of absent queues (decision 2157,
 *                                       registry/etcd/absent-counts.ts): held ids per absent agent, places taken
 *   <prefix>control/frozen              the cluster-wide freeze (decision 1403); inside the mirrored
 *   <prefix>control/suspended/<agent>   range, so every node (and one joining later) sees both at once
 */
import { invalid } from '../errors.js';

export const DEFAULT_PREFIX = '/caxton/';

export type Section = 'agents' | 'df' | 'nodes' | 'owners';
const SECTIONS: readonly Section[] = ['agents', 'df', 'nodes', 'owners'];

export class KeyLayout {
  constructor(readonly prefix: string = DEFAULT_PREFIX) {
    if (!prefix.endsWith('/')) throw invalid('etcd key prefix must end with "/"', { prefix });
  }

  key(section: Section, name: string): string {
    if (name === '') throw invalid(`empty ${section} name`);
    return `${this.prefix}${section}/${name}`;
  }

  sectionPrefix(section: Section): string {
    return `${this.prefix}${section}/`;
  }

  /** The mirrored range [start, end): every section above, nothing under store/. */
  mirrorRange(): { start: string; end: string } {
    // '0' is the byte after '/', so `owners0` ends the range just past every `owners/...` key.
    return { start: `${this.prefix}agents/`, end: `${this.prefix}owners0` };
  }

  /** Splits a mirrored key into its section and name; undefined for keys we do not own. */
  parse(key: string): { section: Section; name: string } | undefined {
    if (!key.startsWith(this.prefix)) return undefined;
    const rest = key.slice(this.prefix.length);
    const slash = rest.indexOf('/');
    if (slash <= 0) return undefined;
    const section = rest.slice(0, slash) as Section;
    const name = rest.slice(slash + 1);
    return SECTIONS.includes(section) && name !== '' ? { section, name } : undefined;
  }

  /** The kill switch's keys (decision 1403): `frozen`, `suspended/<agent>`. Mirrored, not a registry section. */
  controlPrefix(): string {
    return `${this.prefix}control/`;
  }

  /** The cluster's one platform name (decision 1910): written by the first node to start, compared by every later one. */
  platformKey(): string {
    return `${this.prefix}store/platform`;
  }

  /** The cluster's one replica mode (decision 2097): written by its first node, or by one that finds no node live. */
  replicaModeKey(): string {
    return `${this.prefix}store/replica-mode`;
  }

  artifactPrefix(digest: string): string {
    return `${this.prefix}store/artifacts/${digest}/`;
  }

  artifactsRoot(): string {
    return `${this.prefix}store/artifacts/`;
  }

  /** One timer of an agent. Agent name and id are key segments: non-empty, no '/'. */
  timerKey(agent: string, id: string): string {
    const prefix = this.timersPrefix(agent);
    if (!isSegment(id)) throw invalid('timer id must be non-empty and without "/"', { agent, timer: id });
    return `${prefix}${id}`;
  }

  /**
   * Every timer of one agent; the trailing '/' keeps agent `a` clear of agent `ab`. An instance of a
   * kind (`counter/alice`, decision 2060) is one segment with its `/` as `%2F`: agent names and
   * keys have no `%` (core's name rules), so no two names share a segment and a named agent's keys
   * are what they always were.
   */
  timersPrefix(agent: string): string {
    const segment = timerSegment(agent);
    if (!isSegment(segment))
      throw invalid('timer agent name must be non-empty and without "/" (an instance `<kind>/<key>` has one)', { agent });
    return `${this.prefix}store/timers/${segment}/`;
  }

  /**
   * Every timer of every instance of kind `kind` (decision 2060): their segments all begin
   * `<kind>%2F`. Neither a named agent `kind` (`<kind>/`) nor another kind (`<kind>x%2F`, or a kind
   * whose name would hold `%`, which names cannot) shares that prefix.
   */
  kindTimersPrefix(kind: string): string {
    if (!isSegment(kind) || kind.includes('%')) throw invalid('kind name must be non-empty and without "/" or "%"', { kind });
    return `${this.prefix}store/timers/${kind}%2F`;
  }
}

/** Digits of a wake key's due time: every safe integer (ms since epoch) fits, so keys sort by due time. */
export const WAKE_DUE_DIGITS = 16;

/** The highest due time a wake key holds: a timer's due time is a safe integer (validateTimerRecord). */
export const MAX_WAKE_DUE = Number.MAX_SAFE_INTEGER;

/**
 * The wake index of one partition count: its wakes live under their own root, so a change of the
 * count never deletes what a node of another count reads (review of issue 30, must-fix 2).
 */
export function wakesRoot(keys: KeyLayout, partitions: number): string {
  if (!Number.isSafeInteger(partitions) || partitions < 1) throw invalid('partition count must be a positive integer', { partitions });
  return `${keys.prefix}store/wakes/p${partitions}/`;
}

/** The marker that the index of a partition count is complete (the timer table was swept into it). */
export function wakeIndexMarker(keys: KeyLayout, partitions: number): string {
  wakesRoot(keys, partitions); // the same rule on the count
  return `${keys.prefix}store/wake-index/p${partitions}`;
}

/**
 * The operator's switch: its value is the partition count whose index nodes may read (a node of
 * another count, or with no switch, walks the timer table). Set once every node writes wakes
 * (decision 2060, *Wake index*: a node of an older version writes timers without one).
 */
export function wakeIndexEnabledKey(keys: KeyLayout): string {
  return `${keys.prefix}store/wake-index/enabled`;
}

/** One partition's wakes of one kind, in due order. */
export function kindWakesPrefix(keys: KeyLayout, partitions: number, partition: number, kind: string): string {
  if (!Number.isSafeInteger(partition) || partition < 0 || partition >= partitions)
    throw invalid('wake partition must be an integer from 0 to the partition count - 1', { partition, partitions });
  if (!isSegment(kind) || kind.includes('%')) throw invalid('kind name must be non-empty and without "/" or "%"', { kind });
  return `${wakesRoot(keys, partitions)}${partition}/${kind}/`;
}

/** The bound below which a partition's wakes of a kind are due before `dueAt`: a page's range end. */
export function wakeDueBound(keys: KeyLayout, partitions: number, partition: number, kind: string, dueAt: number): string {
  return `${kindWakesPrefix(keys, partitions, partition, kind)}${padDue(dueAt)}/`;
}

/** The wake of one instance timer: partition count, partition of the instance's mail, its kind, due time, timer key. */
export function wakeKey(keys: KeyLayout, partitions: number, partition: number, agent: string, id: string, dueAt: number): string {
  const kind = kindOfInstance(agent);
  if (kind === undefined) throw invalid('a wake is kept for an instance of a kind (`<kind>/<key>`) only', { agent });
  keys.timerKey(agent, id); // the same rules on name and id as the timer's own key
  return `${wakeDueBound(keys, partitions, partition, kind, dueAt)}${timerSegment(agent)}/${id}`;
}

/** A wake key of a partition count's index read back: the instance and its due time; undefined for a key that is not one. */
export function parseWakeKey(
  keys: KeyLayout,
  partitions: number,
  key: string,
): { partition: number; kind: string; name: string; id: string; dueAt: number } | undefined {
  const root = wakesRoot(keys, partitions);
  if (!key.startsWith(root)) return undefined;
  const parts = key.slice(root.length).split('/');
  if (parts.length !== 5) return undefined;
  const [p, kind, due, segment, id] = parts as [string, string, string, string, string];
  if (!/^\d+$/.test(p) || Number(p) >= partitions || due.length !== WAKE_DUE_DIGITS || !/^\d+$/.test(due) || kind === '' || id === '')
    return undefined;
  const name = segment.replace(/%(2F|25)/g, (m) => (m === '%2F' ? '/' : '%'));
  if (timerSegment(name) !== segment || kindOfInstance(name) !== kind) return undefined;
  const dueAt = Number(due);
  return Number.isSafeInteger(dueAt) ? { partition: Number(p), kind, name, id, dueAt } : undefined;
}

/** The kind of an instance name `<kind>/<key>`; undefined for a named agent. */
export function kindOfInstance(agent: string): string | undefined {
  const slash = agent.indexOf('/');
  if (slash <= 0 || slash === agent.length - 1 || agent.indexOf('/', slash + 1) !== -1) return undefined;
  return agent.slice(0, slash);
}

function padDue(dueAt: number): string {
  if (!Number.isSafeInteger(dueAt) || dueAt < 0) throw invalid('wake due time must be a timestamp (ms since epoch)', { dueAt });
  return String(dueAt).padStart(WAKE_DUE_DIGITS, '0');
}

/** One deliveries-topic partition's shared count of absent queues (decision 2157). */
export function absentCountKey(keys: KeyLayout, partition: number): string {
  if (!Number.isSafeInteger(partition) || partition < 0)
    throw invalid('absent count partition must be a non-negative integer', { partition });
  return `${keys.prefix}store/absent-queues/p${partition}`;
}

/** Topic subscriptions: read at send time by the publishing node, straight from etcd (decision 1960). */
export function topicsRoot(keys: KeyLayout): string {
  return `${keys.prefix}store/topics/`;
}

/** One topic's subscriptions. Topic names may hold '/', so the topic segment is URI-encoded. */
export function topicPrefix(keys: KeyLayout, topic: string): string {
  return `${topicsRoot(keys)}${encodeURIComponent(topic)}/`;
}

export function subscriptionKey(keys: KeyLayout, topic: string, agent: string): string {
  if (!isSegment(agent)) throw invalid('subscription agent name must be non-empty and without "/"', { agent });
  return `${topicPrefix(keys, topic)}${agent}`;
}

/**
 * The per-agent index of subscriptions (decision 1960, review fix): the per-agent bound is
 * checked on the agent's own keys, and the count key guards each change in one transaction.
 */
export function agentTopicsGuard(keys: KeyLayout, agent: string): string {
  if (!isSegment(agent)) throw invalid('subscription agent name must be non-empty and without "/"', { agent });
  return `${keys.prefix}store/topic-agents/${agent}`;
}

export function agentTopicsPrefix(keys: KeyLayout, agent: string): string {
  return `${agentTopicsGuard(keys, agent)}/`;
}

export function agentTopicKey(keys: KeyLayout, agent: string, topic: string): string {
  return `${agentTopicsPrefix(keys, agent)}${encodeURIComponent(topic)}`;
}

/**
 * An agent's timer segment: any `%` written `%25` (so the mapping is one-to-one; valid names have
 * none, so their keys are unchanged) and a kind instance's single `/` written `%2F`. A name that is
 * not `<kind>/<key>` keeps its `/` and is refused by the caller.
 */
export function timerSegment(agent: string): string {
  if (typeof agent !== 'string') return '';
  const escaped = agent.replaceAll('%', '%25');
  const slash = escaped.indexOf('/');
  if (slash <= 0 || slash === escaped.length - 1 || escaped.indexOf('/', slash + 1) !== -1) return escaped;
  return escaped.replace('/', '%2F');
}

function isSegment(value: string): boolean {
  return typeof value === 'string' && value !== '' && !value.includes('/');
}
