/**
 * The node's record of recent idempotency keys (decision 1700): (caller, key) → the digest of the
 * message first sent with it and that send's outcome. A repeat of the same send is answered with
 * the first send's result without touching the bus again (so protocol gates do not see it twice);
 * a repeat while the first is still being appended waits for it; the key reused for a different
 * message is refused.
 *
 * Bounded three ways: an entry lives `windowMs` after its first send, and at most `maxKeys` entries
 * and `maxBytes` of them (a result names every receiver, refused ones with why: a send to a
 * thousand made-up names keeps about a MiB) are kept — the oldest go first, so a flood of keys
 * shortens the window rather than growing the heap. In memory only: after a restart, or once an
 * entry is gone, a repeat is sent to the bus again with the same derived message id, and the log's dedup by delivery id (pending, or in its
 * completed window) keeps it from being accepted twice.
 */
import { createHash } from 'node:crypto';
import {
  canonicalBytes,
  IdempotencyKeyReusedError,
  InvalidArgumentError,
  TRACEPARENT_PARAM,
  TRACESTATE_PARAM,
  type AclMessage,
  type IdempotencyKey,
  type SendResult,
} from '@caxton/core';
import { idempotentMessageId } from '../bus/ids.js';

export const DEFAULT_IDEMPOTENCY_WINDOW_MS = 15 * 60_000;
export const DEFAULT_IDEMPOTENCY_MAX_KEYS = 100_000;
export const DEFAULT_IDEMPOTENCY_MAX_BYTES = 64 * 1024 * 1024;
/** What an entry costs besides its result's strings: the slot, digest, message id and the objects. */
const ENTRY_BYTES = 256;

export interface IdempotentSendsOptions {
  windowMs?: number;
  maxKeys?: number;
  /** About how many bytes of entries (their results' receiver names and reasons included) are kept. */
  maxBytes?: number;
  now?: () => number;
}

interface Entry {
  digest: string;
  messageId: string;
  at: number;
  /** Settles with the first send's result; an entry whose send failed is removed. */
  outcome: Promise<SendResult>;
  /** What it holds, about: ENTRY_BYTES, then its result's strings once it settled. */
  bytes: number;
}

/** The strings a result holds (UTF-16 code units, about their bytes in memory). */
function resultBytes(result: SendResult): number {
  let n = result.messageId.length;
  for (const a of result.accepted) n += a.length + 16;
  for (const r of result.refused) n += r.receiver.length + r.reason.length + 32;
  return n;
}

/**
 * sha256 over the canonical JSON of the message as the client gave it: equal requests, equal
 * digests. Trace context (X-traceparent, X-tracestate) is left out: it describes the attempt, not
 * the message — the API stamps each call's own span into the message before the node sees it, so
 * a retry always carries a different one.
 */
export function requestDigest(message: AclMessage): string {
  const { userParams, ...rest } = message;
  const { [TRACEPARENT_PARAM]: _tp, [TRACESTATE_PARAM]: _ts, ...params } = userParams ?? {};
  // No parameters left and none given are the same message.
  const canonical: AclMessage = Object.keys(params).length === 0 ? rest : { ...rest, userParams: params };
  return createHash('sha256').update(canonicalBytes(canonical)).digest('hex');
}

export class IdempotentSends {
  readonly windowMs: number;
  readonly maxKeys: number;
  readonly maxBytes: number;
  private readonly now: () => number;
  private bytes = 0;
  /** Insertion order is first-send order, so expired and evicted entries are at the front. */
  private readonly entries = new Map<string, Entry>();

  constructor(opts: IdempotentSendsOptions = {}) {
    this.windowMs = opts.windowMs ?? DEFAULT_IDEMPOTENCY_WINDOW_MS;
    this.maxKeys = opts.maxKeys ?? DEFAULT_IDEMPOTENCY_MAX_KEYS;
    this.maxBytes = opts.maxBytes ?? DEFAULT_IDEMPOTENCY_MAX_BYTES;
    this.now = opts.now ?? Date.now;
    if (!(Number.isSafeInteger(this.windowMs) && this.windowMs > 0))
      throw new InvalidArgumentError('idempotency.windowMs', `must be a positive integer (ms), got ${this.windowMs}`);
    if (!(Number.isSafeInteger(this.maxKeys) && this.maxKeys > 0))
      throw new InvalidArgumentError('idempotency.maxKeys', `must be a positive integer, got ${this.maxKeys}`);
    if (!(Number.isSafeInteger(this.maxBytes) && this.maxBytes > 0))
      throw new InvalidArgumentError('idempotency.maxBytes', `must be a positive integer, got ${this.maxBytes}`);
  }

  get size(): number {
    return this.entries.size;
  }

  /** About how many bytes the kept entries hold. */
  get heldBytes(): number {
    return this.bytes;
  }

  /**
   * Send `message` (as given by the client, before the node stamps anything) once per
   * (caller, key): `send` gets the derived message id and is called only for a first send, or
   * again after a failed one (same id: a failure may have been a lost acknowledgement).
   */
  async run(
    caller: string,
    key: IdempotencyKey,
    message: AclMessage,
    send: (messageId: string) => Promise<SendResult>,
    /** The request's digest when the caller gives it (a signed MTP post's signed content); else the message's. */
    given?: string,
  ): Promise<SendResult> {
    const now = this.now();
    this.expire(now);
    const digest = given ?? requestDigest(message);
    // Hashed and truncated to 128 bits (collisions are moot): a caller's fingerprint and a
    // 128-byte key need not both sit in memory per entry.
    const slot = createHash('sha256').update(`${caller}\0${key}`, 'utf8').digest().subarray(0, 16).toString('base64');
    const known = this.entries.get(slot);
    if (known !== undefined) {
      if (known.digest !== digest) throw new IdempotencyKeyReusedError(key, known.messageId, this.windowMs);
      return known.outcome;
    }
    const messageId = idempotentMessageId(caller, key, digest);
    const outcome = send(messageId);
    const entry: Entry = { digest, messageId, at: now, outcome, bytes: ENTRY_BYTES };
    this.entries.set(slot, entry);
    this.bytes += entry.bytes;
    this.trim();
    outcome.then(
      (result) => {
        if (this.entries.get(slot) !== entry) return; // evicted or expired meanwhile
        const more = resultBytes(result);
        entry.bytes += more;
        this.bytes += more;
        this.trim();
      },
      // A failed send is forgotten, so a retry tries again (with the same id) instead of getting
      // the stale error; a concurrent retry already waiting on `outcome` shares this attempt's error.
      () => {
        if (this.entries.get(slot) === entry) this.drop(slot, entry);
      },
    );
    return outcome;
  }

  private expire(now: number): void {
    for (const [slot, entry] of this.entries) {
      if (now - entry.at < this.windowMs) break;
      this.drop(slot, entry);
    }
  }

  /** The oldest entries go while there are too many, or they hold too much (never the newest). */
  private trim(): void {
    for (const [slot, entry] of this.entries) {
      if ((this.entries.size <= this.maxKeys && this.bytes <= this.maxBytes) || this.entries.size === 1) return;
      this.drop(slot, entry);
    }
  }

  private drop(slot: string, entry: Entry): void {
    this.entries.delete(slot);
    this.bytes -= entry.bytes;
  }
}
