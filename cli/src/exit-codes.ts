/**
 * Exit codes of `caxton`, part of its interface (scripts branch on them); documented in docs/cli.md.
 * gRPC statuses are folded into a few classes a script can act on: fix the command (2), the thing
 * is not there (3), nothing is listening (4), credentials (5), state conflict (6), too big/busy (7)
 * (that folding is api-error-advice.ts's, which loads gRPC; this table loads nothing).
 */
export const EXIT = {
  OK: 0,
  /** Anything not covered below: a failed build, a bug, an INTERNAL answer. */
  FAILURE: 1,
  /** Bad command line, or the runtime rejected an argument (INVALID_ARGUMENT). */
  USAGE: 2,
  /** No such agent (NOT_FOUND), or a message no receiver accepted. */
  NOT_FOUND: 3,
  /** No runtime reachable at the address, or it is shutting down (UNAVAILABLE, DEADLINE_EXCEEDED). */
  UNAVAILABLE: 4,
  /** Missing or wrong token, or a TLS identity the runtime refuses (UNAUTHENTICATED, PERMISSION_DENIED). */
  AUTH: 5,
  /** The agent exists already or is in the wrong state (ALREADY_EXISTS, FAILED_PRECONDITION, ABORTED). */
  CONFLICT: 6,
  /** Too large or too busy: artifact over the limit, full mailbox (RESOURCE_EXHAUSTED). */
  EXHAUSTED: 7,
  /** What the command waited for did not happen in time (`send --wait` past --timeout). */
  TIMEOUT: 8,
  /** `audit verify`: the trail ends before its signed anchor (or the expected head): records were cut off (decision 1750). */
  AUDIT_TRUNCATED: 9,
  /** `audit verify`: the trail holds another record where the anchor (or expected head) says: rewritten and re-sealed. */
  AUDIT_REWRITTEN: 10,
  /** `audit verify`: the anchor is not genuine: signed by an untrusted key, forged, unreadable or missing. */
  AUDIT_ANCHOR: 11,
  /** `audit verify`: records are missing from storage — a segment deleted in the middle, or the oldest outside retention (decision 1790). */
  AUDIT_SEGMENT_MISSING: 12,
  /** Interrupted (Ctrl-C) before finishing, e.g. during an upload. */
  INTERRUPTED: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
