/** The FIPA HTTP MTP sender's retries and outbox (decision 1910). */

/** How the MTP sender retries a post (decision 1910). */
export interface MtpRetry {
  /** Attempts in all (the first included). */
  attempts: number;
  /** Wait before the second attempt; each later wait is four times the one before. */
  firstDelayMs: number;
  /**
   * After those attempts, a post whose last outcome was worth another (connection refused,
   * timeout, 429, 5xx) keeps its outbox record and slot and is tried again on a timer this many
   * more times, the first `firstDelayMs` after, each later wait twice the one before — a peer down
   * for minutes still gets the message with no new activity of the sender. Only after the last is
   * the sender's `failure` sent. Absent: no later attempts.
   */
  later?: { attempts: number; firstDelayMs: number; maxDelayMs?: number };
}

/** The MTP outbox's retry schedule: 4 quick attempts (0.25, 1, 4 s apart), then 6 on a timer 30 s, 1, 2, 4, 8, 10 min apart: ~25 min before the sender's failure. */
export const DEFAULT_MTP_RETRY: MtpRetry = Object.freeze({
  attempts: 4,
  firstDelayMs: 250,
  later: Object.freeze({ attempts: 6, firstDelayMs: 30_000, maxDelayMs: 600_000 }),
});

/**
 * The MTP sender's outbox (decision 1910): posts not yet settled (waiting, on the network, or
 * waiting out a later attempt) node-wide, and to any one peer platform. A peer that never answers
 * keeps each of its posts' slots for the whole retry schedule (~25 min): the per-peer share stops
 * one dead or hostile peer from taking every slot, so sends to the other peers still go
 * (review of outboxfix4, 3); past it a send to that peer is refused `mtp.peer-backlogged`.
 */
export const MTP_OUTBOX_LIMITS = Object.freeze({
  maxPostsInFlight: 256,
  maxPostsPerPeer: 64,
});

/**
 * Signed messages to and from peer platforms (decision 2188). A signature names the time it was
 * made; a post whose signature is further than `maxSkewMs` from the node's clock either way is
 * refused (a replay, or a clock to fix), and one within it is heard once (the idempotency window,
 * 15 minutes, outlasts the skew). Every input is bounded before any work: the parameter's length,
 * the keys a peer lists, the keys a node signs with.
 */
export const MTP_SIGNATURE_LIMITS = Object.freeze({
  maxSkewMs: 5 * 60_000,
  /** `<keyId>:<13 digits>:<86 base64url>` is at most 32 + 1 + 13 + 1 + 86 characters. */
  maxSignatureChars: 160,
  maxPublicKeysPerPeer: 8,
  maxSigningKeys: 8,
});
