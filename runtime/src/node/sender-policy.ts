/**
 * Whom an operator may speak as (decision 1401). `SendMessage` may name a sender so replies go to a
 * chosen external identity; it must not borrow the platform's own identities (ams@, df@, http@… —
 * agents trust what those send: deliveries failures, directory answers, HTTP results) nor the name
 * of a deployed agent (an agent's peers trust messages from it). Pure: the caller says which names
 * are deployed.
 */
import { CaxtonError } from '@caxton/core';

/** Local names the platform itself sends as, on any platform. */
export const PLATFORM_IDENTITIES: ReadonlySet<string> = new Set(['ams', 'df', 'http']);

export class ForbiddenSenderError extends CaxtonError {
  constructor(sender: string, why: string) {
    super('node.sender-forbidden', `the operator may not send as ${sender}: ${why}`, {
      kind: 'permission-denied',
      context: { sender },
      hint: 'leave the sender out (you speak as operator@<platform>) or name an identity of your own, e.g. ops-alice',
    });
  }
}

/**
 * Why `sender` is refused, or undefined when the operator may use it. `localName` is the sender as
 * this platform names it (`echo` for `echo@caxton`, the full name for other platforms).
 */
export function senderRefusal(
  sender: string,
  localName: string,
  reserved: ReadonlySet<string>,
  isDeployed: (name: string) => boolean,
  peer: { isPeer: (platform: string) => boolean; viaAcc?: string } = { isPeer: () => false },
): string | undefined {
  const bare = sender.includes('@') ? sender.slice(0, sender.lastIndexOf('@')) : sender;
  if (PLATFORM_IDENTITIES.has(bare.toLowerCase()) || reserved.has(bare.toLowerCase())) return 'it is a platform identity';
  if (!localName.includes('@') && isDeployed(localName)) return 'it is a deployed agent';
  // A peer platform's agents (decision 1910) speak only through the ACC, which checked the peer's secret.
  const platform = sender.includes('@') ? sender.slice(sender.lastIndexOf('@') + 1) : undefined;
  if (platform !== undefined && peer.isPeer(platform) && peer.viaAcc !== platform)
    return `it is an agent of peer platform ${platform}, which speaks only through the node's ACC`;
  return undefined;
}
