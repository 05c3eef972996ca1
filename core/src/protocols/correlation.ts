/**
 * Which tracked conversation a message belongs to, and in which role its sender speaks.
 *
 * Rule (documented in docs/protocols.md):
 * 1. With a conversation-id, the candidates are the conversations with that id in which the sender
 *    is a member. Conversations are keyed by (initiator, conversation-id), not by the id alone,
 *    so two agents that pick the same id do not collide and no agent can step into a conversation
 *    it is not part of.
 * 2. Without a conversation-id, the in-reply-to chain is used: every message of a conversation that
 *    carries reply-with registers (its sender, that value); a message whose in-reply-to names a
 *    value registered by one of its receivers (or by itself) continues that conversation.
 * 3. A candidate fits when the message goes the right way: from the initiator side to participants,
 *    or from a participant to the initiator side. Active conversations win over recently ended ones.
 */
import type { AclMessage } from '../acl/message.js';
import type { Conversation } from './conversation.js';
import type { Role } from './machine.js';

/** reply-with links remembered per conversation; older ones are dropped (replies reference recent messages). */
export const MAX_REPLY_LINKS_PER_CONVERSATION = 16;

export type Correlation =
  | { readonly kind: 'member'; readonly conversation: Conversation; readonly role: Role }
  /** The initiator of an active conversation addressed agents that are not participants of it. */
  | { readonly kind: 'outsiders'; readonly conversation: Conversation; readonly outsiders: readonly string[] }
  | { readonly kind: 'none' };

/** A reply-with value some member sent in a conversation. */
export interface ReplyLink {
  readonly setter: string;
  readonly replyWith: string;
}

interface StoredLink extends ReplyLink {
  readonly key: string;
}

const NONE: Correlation = { kind: 'none' };
const pair = (name: string, value: string): string => `${name}\u0000${value}`;

export class CorrelationIndex {
  private readonly byConversationId = new Map<string, Set<Conversation>>();
  private readonly byReplyWith = new Map<string, Conversation>();
  private readonly linksOf = new Map<Conversation, StoredLink[]>();

  /** Registers every member of a new conversation under its conversation-id. */
  add(conversation: Conversation): void {
    if (conversation.conversationId === undefined) return;
    for (const name of this.membersOf(conversation)) {
      const key = pair(name, conversation.conversationId);
      let set = this.byConversationId.get(key);
      if (set === undefined) this.byConversationId.set(key, (set = new Set()));
      set.add(conversation);
    }
  }

  /** Remembers that `setter` sent a message of `conversation` with reply-with `replyWith`. */
  link(conversation: Conversation, setter: string, replyWith: string): void {
    const key = pair(setter, replyWith);
    const previous = this.byReplyWith.get(key);
    if (previous === conversation) return;
    if (previous !== undefined) this.unlinkOne(previous, key);
    this.byReplyWith.set(key, conversation);
    let links = this.linksOf.get(conversation);
    if (links === undefined) this.linksOf.set(conversation, (links = []));
    links.push({ key, setter, replyWith });
    if (links.length > MAX_REPLY_LINKS_PER_CONVERSATION) this.byReplyWith.delete(links.shift()!.key);
  }

  /** The reply-with links remembered for a conversation, oldest first. */
  links(conversation: Conversation): ReplyLink[] {
    return (this.linksOf.get(conversation) ?? []).map(({ setter, replyWith }) => ({ setter, replyWith }));
  }

  remove(conversation: Conversation): void {
    if (conversation.conversationId !== undefined) {
      for (const name of this.membersOf(conversation)) {
        const key = pair(name, conversation.conversationId);
        const set = this.byConversationId.get(key);
        set?.delete(conversation);
        if (set?.size === 0) this.byConversationId.delete(key);
      }
    }
    for (const { key } of this.linksOf.get(conversation) ?? []) {
      if (this.byReplyWith.get(key) === conversation) this.byReplyWith.delete(key);
    }
    this.linksOf.delete(conversation);
  }

  correlate(message: AclMessage, sender: string): Correlation {
    // Candidates first: most messages continue no tracked conversation, and for those the
    // receivers' names need not be listed (a list, a set and a copy per message, profiled).
    const candidates = this.candidates(message, sender);
    if (candidates === undefined) return NONE;
    const receivers = distinctNames(message);
    let ended: Correlation | undefined;
    let outsiders: Correlation | undefined;
    for (const conversation of candidates) {
      const fit = fitOf(conversation, sender, receivers);
      if (fit.kind === 'member' && !conversation.ended) return fit;
      if (fit.kind === 'member') ended ??= fit;
      else if (fit.kind === 'outsiders' && !conversation.ended) outsiders ??= fit;
    }
    return ended ?? outsiders ?? NONE;
  }

  /** The conversations the message may continue; undefined when there is none to look at. */
  private candidates(message: AclMessage, sender: string): Iterable<Conversation> | undefined {
    if (message.conversationId !== undefined) {
      return this.byConversationId.get(pair(sender, message.conversationId));
    }
    const inReplyTo = message.inReplyTo;
    if (inReplyTo === undefined || this.byReplyWith.size === 0) return undefined;
    let found: Set<Conversation> | undefined;
    // A receiver named twice finds the same conversation twice: the set keeps it once.
    for (const r of message.receivers) {
      const conversation = this.byReplyWith.get(pair(r.name, inReplyTo));
      if (conversation !== undefined) (found ??= new Set()).add(conversation);
    }
    const own = this.byReplyWith.get(pair(sender, inReplyTo));
    if (own !== undefined) (found ??= new Set()).add(own);
    return found;
  }

  private membersOf(conversation: Conversation): Set<string> {
    return new Set([...conversation.initiatorSide, ...conversation.branches.keys()]);
  }

  private unlinkOne(conversation: Conversation, key: string): void {
    this.byReplyWith.delete(key);
    const links = this.linksOf.get(conversation);
    const at = links?.findIndex((link) => link.key === key) ?? -1;
    if (links !== undefined && at >= 0) links.splice(at, 1);
  }
}

/** The message's receivers' names, each once, in order. */
function distinctNames(message: AclMessage): string[] {
  const ids = message.receivers;
  if (ids.length === 1) return [ids[0]!.name];
  return [...new Set(ids.map((r) => r.name))];
}

function fitOf(conversation: Conversation, sender: string, receivers: readonly string[]): Correlation {
  if (conversation.initiatorSide.has(sender)) {
    const strangers = receivers.filter((r) => !conversation.branches.has(r));
    return strangers.length === 0
      ? { kind: 'member', conversation, role: 'initiator' }
      : { kind: 'outsiders', conversation, outsiders: strangers };
  }
  if (conversation.branches.has(sender) && receivers.every((r) => conversation.initiatorSide.has(r))) {
    return { kind: 'member', conversation, role: 'participant' };
  }
  return NONE;
}
