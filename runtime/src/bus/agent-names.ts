/**
 * An agent's two spellings on this platform — local (`echo`) and qualified (`echo@<platform>`) —
 * each made once per name and then shared (decision 2150). Every message sent used to build both
 * anew: its sender's and each receiver's qualified id (a string and an object each), then each
 * receiver's local name sliced back out of it (two strings more). Fresh strings are also hashed
 * again by every map keyed by agent that they are looked up in; shared ones carry their hash.
 *
 * The shared ids are frozen: a message's sender and receivers are never changed in place (codecs
 * build new ones), and an attempt to would throw rather than rename every message's receiver at
 * once. Both tables are bounded: a guest may write any receiver name, so past `MAX_NAMES` entries
 * each table is emptied and filled again from what is sent next (a bound, not a cache policy: a
 * node's agents fit far below it), and a name longer than `MAX_KEPT_NAME` is never kept.
 */
import type { AgentId } from '@caxton/core';

/** Entries per table before it is emptied: well above the agents one node runs by name. */
export const MAX_NAMES = 8192;
/** Longest local name kept (UTF-16 units): the tables hold at most MAX_NAMES × ~2 × this, ~4 MiB. */
export const MAX_KEPT_NAME = 128;

export class AgentNames {
  /** Local name → its qualified id (shared, frozen). */
  private readonly qualifiedIds = new Map<string, AgentId>();
  /** Qualified name on this platform → its local name. */
  private readonly localNames = new Map<string, string>();
  private readonly suffix: string;

  constructor(
    private readonly platform: string,
    private readonly topicPrefix: string,
  ) {
    // `localName` splits at the last `@`: a platform name holding one would split differently
    // depending on what the table holds (the node's start refuses such names; so does this).
    if (platform.includes('@')) throw new RangeError(`platform name ${JSON.stringify(platform)} holds an '@'`);
    this.suffix = `@${platform}`;
  }

  /** `echo` → `{ name: 'echo@<platform>' }`, the same object every time (frozen). */
  qualifiedId(localName: string): AgentId {
    let id = this.qualifiedIds.get(localName);
    if (id === undefined) {
      const name = `${localName}${this.suffix}`;
      // A long name (a guest may write 8 KiB ones, and names are qualified before the message is
      // validated) is made fresh each time: the tables hold at most MAX_NAMES short names.
      if (localName.length > MAX_KEPT_NAME) return { name };
      id = Object.freeze({ name });
      if (this.qualifiedIds.size >= MAX_NAMES) this.qualifiedIds.clear();
      this.qualifiedIds.set(localName, id);
      if (this.localNames.size >= MAX_NAMES) this.localNames.clear();
      this.localNames.set(name, localName);
    }
    return id;
  }

  /**
   * `echo` → `echo@<platform>`: one spelling per agent, so protocols and tails correlate names. A
   * name already qualified (any platform) or a topic address is kept as it is, and so is an id
   * carrying more than its name (addresses, resolvers, parameters): only its name is qualified.
   */
  qualify(id: AgentId): AgentId {
    const name = id.name;
    if (name.includes('@') || name.startsWith(this.topicPrefix)) return id;
    if (id.addresses !== undefined || id.resolvers !== undefined || id.userParams !== undefined)
      return { ...id, name: `${name}${this.suffix}` };
    return this.qualifiedId(name);
  }

  /** `echo@<platform>` → `echo`; a name of another platform, or a bare name, as it is. */
  localName(id: AgentId | string): string {
    const name = typeof id === 'string' ? id : id.name;
    const known = this.localNames.get(name);
    if (known !== undefined) return known;
    const at = name.lastIndexOf('@');
    if (at < 0 || name.length - at - 1 !== this.platform.length || !name.endsWith(this.platform)) return name;
    return name.slice(0, at);
  }
}
