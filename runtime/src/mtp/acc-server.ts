/**
 * `caxton serve --mtp-http host:port`: the node's Agent Communication Channel for other FIPA
 * platforms (SC00067, SC00084 HTTP MTP; decision 1910). A peer POSTs `multipart/mixed` — the XML
 * envelope (SC00085), then the ACL message in the string encoding (SC00070) — to
 * `/acc/<its secret>`; the message enters the bus to the local agents the envelope names, through
 * the audited control surface like the console's `POST /api/messages` and MCP's calls (same
 * sender rules, edge admission, audit record), and the answer is `200 OK` once it is durable.
 *
 * Hostile by default, in this order, each step before the work it bounds: the secret (401), the
 * peer's rate and its posts in flight, per peer and node-wide (429), the declared and the counted body size (413), the multipart and envelope
 * parsed strictly (400), the sender and the :reply-to on the peer's own platform and the receivers on this one
 * (403: no impersonation, no relaying), and, for a peer that lists public keys, the platform's
 * signature on the message (401, decision 2188). Every refusal is a typed JSON error and an audit record.
 */
import { createHash, type KeyObject } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  CaxtonError,
  DEFAULT_ACL_LIMITS,
  MTP_SIGNATURE_LIMITS,
  decodeAclString,
  parseIdempotencyKey,
  type IdempotencyKey,
  multipartBoundary,
  parseMtpEnvelope,
  parseMultipart,
  STRING_REPRESENTATION,
  type AclMessage,
  type AgentId,
  type NodeControl,
  type ReceivedStamp,
  type SendResult,
} from '@caxton/core';
import { tokenFingerprint } from '../api/caller.js';
import { auditArgs, type AuditCaller, type AuditedControl } from '../audit/audited-control.js';
import { readBody } from '../console/request-body.js';
import {
  checkPlaintextBinding,
  LISTENER_CERT_FLAGS,
  LISTENER_INSECURE_FLAG,
  listenHttp,
  plaintextHint,
  type ListenerSecurity,
} from '../listener/index.js';
import { MtpConfigError, MtpRefusal } from './errors.js';
import {
  SIGNATURE_PARAM,
  signedContentDigest,
  signedSendKey,
  verifyMessageSignature,
  withoutSignature,
  type SignatureFault,
} from './message-signature.js';
import { platformOf, type MtpPeer, type MtpPeerTable } from './peers.js';
import { InFlight, TokenBuckets } from './rate-limit.js';

export interface AccServerOptions extends ListenerSecurity {
  host: string;
  port: number;
  /** This node's platform name: local agents are `<name>@<platform>`. */
  platform: string;
  peers: MtpPeerTable;
  /** Sends go through it as the peer (decision 1701); without it (no audit trail) through `control`. */
  audited?: AuditedControl;
  control: NodeControl;
  /** The largest post read. Default: the ACL message limit plus 64 KiB of envelope. */
  maxBodyBytes?: number;
  /** Silence while a body arrives before the post is abandoned. Default 10 s. */
  idleMs?: number;
  now?: () => number;
  onInternalError?: (err: unknown) => void;
  /** A post refused for its signature (decision 2188): counted (`caxton.mtp.signatures.refused`). */
  onSignatureRefused?: (platform: string, fault: SignatureFault) => void;
}

export interface AccEndpoint {
  readonly port: number;
  /** `http(s)://host:port/acc`: a peer posts to `<url>/<its secret>`. */
  readonly url: string;
  close(): Promise<void>;
}

/** The envelope is small; a larger one is refused before it is parsed. */
const MAX_ENVELOPE_BYTES = 64 * 1024;
export const DEFAULT_MAX_MTP_BODY_BYTES = DEFAULT_ACL_LIMITS.maxMessageBytes + MAX_ENVELOPE_BYTES;
/** Posts one peer may have in flight (each may buffer a body); more are refused 429 before they are read. */
export const MAX_MTP_POSTS_IN_FLIGHT_PER_PEER = 16;
/** Posts in flight node-wide, all peers together. */
export const MAX_MTP_POSTS_IN_FLIGHT = 64;
/** Open connections to the ACC: room for the posts in flight and for refusing the rest. */
export const MAX_MTP_CONNECTIONS = 2 * MAX_MTP_POSTS_IN_FLIGHT;
/** The whole of a request (headers and body) must arrive within this. */
export const MTP_REQUEST_TIMEOUT_MS = 20_000;

/** Plain HTTP carries the capability in its path: off loopback only with TLS or by the operator's explicit choice; checked before the node starts anything. */
export function checkAccBinding(o: { host: string; port: number } & ListenerSecurity): void {
  checkPlaintextBinding(o, {
    flag: '--mtp-http',
    exposes: "the peers' secrets (in the URL path)",
    fail: (message, hint) => new MtpConfigError(message, hint),
    hint: `${plaintextHint(LISTENER_CERT_FLAGS, LISTENER_INSECURE_FLAG)} (docs/interop.md)`,
  });
}

const refusal = {
  unauthenticated: () =>
    new MtpRefusal(
      'mtp.unauthenticated',
      401,
      'the ACC path names no peer platform of this node',
      "post to the URL this node gave your platform: http(s)://<host>:<port>/acc/<your peer secret> (the node's --mtp-peers file)",
      'unauthenticated',
    ),
  method: (m: string) =>
    new MtpRefusal(
      'mtp.method',
      405,
      `${m.slice(0, 16)} is not how messages are delivered`,
      'POST the message (SC00084)',
      'invalid-argument',
    ),
  busy: (peer: string) =>
    new MtpRefusal(
      'mtp.busy',
      429,
      `platform ${peer} (or all peers together) has as many posts in flight as this ACC takes (${MAX_MTP_POSTS_IN_FLIGHT_PER_PEER} per peer, ${MAX_MTP_POSTS_IN_FLIGHT} in all)`,
      'retry after a post in flight is answered',
      'resource-exhausted',
      { retryAfterMs: 1000 },
    ),
  rate: (peer: string, ms: number) =>
    new MtpRefusal(
      'mtp.rate-limited',
      429,
      `platform ${peer} posts faster than its rate`,
      `retry in ${ms} ms, or raise its ratePerSecond in --mtp-peers`,
      'resource-exhausted',
      { retryAfterMs: ms },
    ),
  tooLarge: (declared: string, max: number) =>
    new MtpRefusal(
      'mtp.body-too-large',
      413,
      `the post ${declared === '' ? 'is' : `declares ${declared} bytes,`} more than the ${max} bytes this ACC reads`,
      'send a smaller message (docs/acl.md for the limits)',
      'resource-exhausted',
      { limit: max },
    ),
  forbidden: (message: string, hint: string) => new MtpRefusal('mtp.forbidden', 403, message, hint, 'permission-denied'),
  bad: (message: string, hint: string) => new MtpRefusal('mtp.bad-request', 400, message, hint, 'invalid-argument'),
  signature: (platform: string, fault: SignatureFault, reason: string) =>
    new MtpRefusal(
      'mtp.signature-refused',
      401,
      `platform ${platform}'s post is refused: ${reason}`,
      fault === 'stale'
        ? `sign each message when it is sent, and keep both platforms' clocks right (NTP): a signature is accepted within ${MTP_SIGNATURE_LIMITS.maxSkewMs / 60_000} minutes of its time`
        : `sign the message with a key this node's --mtp-peers file lists for ${platform}, in the user-defined parameter ${SIGNATURE_PARAM} (docs/interop.md § Signed messages)`,
      'unauthenticated',
      { platform, fault },
    ),
};

/**
 * The peer's signature on `msg` (decision 2188), checked when the peer lists keys: a signature that
 * is there must verify; with `requireSignature` one must be there. Undefined: not signed (and not
 * required) or the peer lists no keys — the message is taken on its capability URL alone, as before.
 */
function checkSignature(
  msg: AclMessage,
  peer: MtpPeer,
  keys: ReadonlyMap<string, KeyObject> | undefined,
  now: number,
): VerifiedSignature | undefined {
  if (keys === undefined) return undefined;
  const verdict = verifyMessageSignature(msg, keys, now);
  if (verdict.ok) return { value: verdict.value, keyId: verdict.keyId, at: verdict.at, sendId: verdict.sendId };
  // A peer that lists keys signs; only an explicit `requireSignature: false` lets an unsigned post in.
  if (verdict.fault === 'missing' && peer.requireSignature === false) return undefined;
  throw refusal.signature(peer.platform, verdict.fault, verdict.reason);
}

/** HTTP status for a refusal the bus or the control surface raised. */
function statusOf(err: CaxtonError): number {
  if (err instanceof MtpRefusal) return err.status;
  switch (err.kind) {
    case 'invalid-argument':
      return 400;
    case 'unauthenticated':
      return 401;
    case 'permission-denied':
      return 403;
    case 'not-found':
      return 404;
    case 'failed-precondition':
    case 'already-exists':
      return 409;
    case 'resource-exhausted':
    case 'unavailable':
      return 503;
    default:
      return 500;
  }
}

function answer(res: ServerResponse, status: number, body: Record<string, unknown>, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...extra });
  res.end(JSON.stringify(body));
}

/**
 * Whom the message is delivered to here. JADE posts a message with several receivers once per
 * receiver, each envelope naming one, each payload the same message with the whole `:receiver`
 * set. Delivering each post to its envelope's receivers alone would show the protocol tracker a
 * contract net's one cfp as several openings of one conversation, and refuse all but the first.
 * So the message goes at once to every receiver of this platform it names (envelope and
 * `:receiver`), and the later posts of the same payload are recognised as the same send
 * (`sameSendKey`). This gives the peer no receiver it could not have named in its envelope.
 */
function localReceivers(env: { to: AgentId[]; intendedReceivers?: AgentId[] }, msg: AclMessage, platform: string): AgentId[] {
  const named = env.intendedReceivers && env.intendedReceivers.length > 0 ? env.intendedReceivers : env.to;
  const foreign = named.filter((r) => platformOf(r.name) !== platform);
  if (foreign.length > 0) {
    throw refusal.forbidden(
      `the envelope names ${foreign
        .slice(0, 4)
        .map((r) => r.name)
        .join(', ')}, not agents of platform ${platform}; this ACC relays nothing`,
      `address this node's agents as <name>@${platform}`,
    );
  }
  // Names only: the addresses given for this node's own agents are the peer's business.
  const names = new Set([...named, ...msg.receivers.filter((r) => platformOf(r.name) === platform)].map((r) => r.name));
  // Sorted: every post of one payload then makes the same message (the same send's digest).
  return [...names].sort().map((name) => ({ name }));
}

/**
 * A signed message goes to the receivers its signature names, no other (decision 2188): the
 * envelope is not signed, and every receiver it names is delivered to (`localReceivers`), so one
 * it adds would receive a message its sender never addressed to it.
 */
function signedReceiversOnly(env: { to: AgentId[]; intendedReceivers?: AgentId[] }, msg: AclMessage, peer: MtpPeer): void {
  const signed = new Set(msg.receivers.map((r) => r.name));
  const named = env.intendedReceivers && env.intendedReceivers.length > 0 ? env.intendedReceivers : env.to;
  const extra = named.find((r) => !signed.has(r.name));
  if (extra !== undefined)
    throw refusal.signature(
      peer.platform,
      'bad-signature',
      `the envelope names ${extra.name.slice(0, 200)}, a receiver the signed message does not name`,
    );
}

/** A signature that verified: its value, key, time and the send it names ('' for none). */
export interface VerifiedSignature {
  value: string;
  keyId: string;
  at: number;
  sendId: string;
}

/** The post as a message for the bus: parsed, then checked against the peer it came from. */
export function messageFromPost(
  body: Buffer,
  contentType: string | undefined,
  peer: MtpPeer,
  platform: string,
  signing: { keys?: ReadonlyMap<string, KeyObject>; now?: number } = {},
): { message: AclMessage; payload: Buffer; received: ReceivedStamp[]; signature?: VerifiedSignature } {
  const parts = parseMultipart(body, multipartBoundary(contentType));
  if (parts.length !== 2) throw refusal.bad(`the post has ${parts.length} parts`, 'send two: the XML envelope, then the ACL message');
  const [envPart, payload] = parts as [(typeof parts)[0], (typeof parts)[0]];
  if (envPart.body.length > MAX_ENVELOPE_BYTES)
    throw refusal.bad(`the envelope is larger than ${MAX_ENVELOPE_BYTES} bytes`, 'send a smaller envelope');
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  let envText: string;
  let aclText: string;
  try {
    envText = utf8.decode(envPart.body);
    aclText = utf8.decode(payload.body);
  } catch {
    throw refusal.bad('the envelope or the message is not UTF-8', 'write both parts in UTF-8');
  }
  const env = parseMtpEnvelope(envText);
  if (env.aclRepresentation !== STRING_REPRESENTATION) {
    throw refusal.bad(
      `acl-representation ${env.aclRepresentation.slice(0, 60)} is not read here`,
      `write the message in the string encoding: ${STRING_REPRESENTATION}`,
    );
  }
  // JADE writes a little outside SC00070 (decision 1910): read it as JADE's own parser would.
  const msg = decodeAclString(aclText, { lenient: true });
  const sender = msg.sender;
  if (sender === undefined) throw refusal.bad('the message has no :sender', 'name the sending agent: <name>@<your platform>');
  for (const [what, id] of [
    ["the message's :sender", sender],
    ["the envelope's from", env.from],
  ] as const) {
    if (id !== undefined && platformOf(id.name) !== peer.platform) {
      throw refusal.forbidden(
        `${what} ${id.name.slice(0, 200)} is not an agent of platform ${peer.platform}, whose secret this post carries`,
        `a peer speaks for its own agents only: name them <name>@${peer.platform}`,
      );
    }
  }
  // A reply goes to the :reply-to and carries the secret of its platform: a peer may name only its
  // own agents there, or it could have another peer's secret posted to an address it controls.
  for (const r of msg.replyTo ?? []) {
    if (platformOf(r.name) !== peer.platform) {
      throw refusal.forbidden(
        `the message's :reply-to ${r.name.slice(0, 200)} is not an agent of platform ${peer.platform}, whose secret this post carries`,
        `name only your own agents in :reply-to: <name>@${peer.platform}`,
      );
    }
  }
  // Checked on the message as the peer signed it, before its receivers are narrowed to this platform's.
  const signature = checkSignature(msg, peer, signing.keys, signing.now ?? Date.now());
  if (signature !== undefined) signedReceiversOnly(env, msg, peer);
  // The signature is the hop's, not the message's: a local agent that forwards it never passes it on.
  const message: AclMessage = { ...msg, receivers: localReceivers(env, msg, platform) };
  const userParams = withoutSignature(msg.userParams);
  if (userParams === undefined) delete message.userParams;
  else message.userParams = userParams;
  return { message, payload: payload.body, received: env.received, ...(signature !== undefined ? { signature } : {}) };
}

/**
 * The idempotency key (decision 1700) that makes JADE's posts of one message to several of this
 * node's agents one send: the payload's digest, when it names more than one receiver here. A
 * message to one receiver gets a key only when its envelope's `received` stamps carry ids (a
 * Caxton node stamps its message id; JADE 4.6.5 stamps nothing): the digest of those stamps and
 * the payload, so a post repeated by the sender's outbox after a restart is heard once within
 * the window; without, a peer sending the same words twice is heard twice. The key is the peer's
 * own (caller `mtp <platform>`): a peer can only ever fold its own messages together.
 */
export function sameSendKey(
  message: AclMessage,
  payload: Buffer,
  received: readonly ReceivedStamp[] = [],
  signature?: VerifiedSignature,
): IdempotencyKey | undefined {
  // A signed send is known by signed data alone (decision 2188): the signer's send id (every
  // attempt of a Caxton send carries it), else the signature's time and key (JADE signs each send
  // once), with this platform's receivers — so a replay, whatever unsigned part it changes
  // (envelope stamps, other parameters, addresses), is the same send; two sends never are.
  if (signature !== undefined) return parseIdempotencyKey(`mtp:signed:${signedSendKey(message, signature)}`);
  if (message.receivers.length >= 2) return parseIdempotencyKey(`mtp:${createHash('sha256').update(payload).digest('hex')}`);
  const stamped = received.filter((s) => s.id !== undefined && s.id !== '');
  if (stamped.length === 0) return undefined;
  // The stamps' ids, not their `by` (the sending node's ACC URL): a replay from another node of
  // the sender's cluster, or after a restart on another port, is the same send. The local
  // receiver is in the key: one message posted to two of this node's agents at two addresses of
  // the same origin is two sends, not one (review of mtpoutbox).
  const digest = createHash('sha256').update('received');
  for (const s of stamped) digest.update(`\u0000${s.id!}`);
  for (const r of message.receivers.map((x) => x.name).sort()) digest.update(`\u0001${r}`);
  return parseIdempotencyKey(`mtp:${digest.update('\u0000').update(payload).digest('hex')}`);
}

export async function startAccServer(o: AccServerOptions): Promise<AccEndpoint> {
  checkAccBinding(o);
  const maxBody = o.maxBodyBytes ?? DEFAULT_MAX_MTP_BODY_BYTES;
  const idleMs = o.idleMs ?? 10_000;
  const now = o.now ?? Date.now;
  const report = o.onInternalError ?? ((err: unknown) => console.error('caxton mtp: internal error:', err));
  const buckets = new TokenBuckets();
  const inFlight = new InFlight(MAX_MTP_POSTS_IN_FLIGHT_PER_PEER, MAX_MTP_POSTS_IN_FLIGHT);

  const callerOf = (req: IncomingMessage, peer: MtpPeer | undefined): AuditCaller => ({
    role: 'none',
    token: peer ? tokenFingerprint(peer.secret) : '',
    peer: `mtp${peer ? ` ${peer.platform}` : ''} ${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? 0}`,
  });

  const deliver = async (req: IncomingMessage, peer: MtpPeer, state: { sending: boolean }): Promise<SendResult> => {
    const declared = req.headers['content-length'] ?? '';
    if (declared !== '' && (!/^\d{1,15}$/.test(declared) || Number(declared) > maxBody)) throw refusal.tooLarge(declared, maxBody);
    let body: Buffer;
    try {
      body = await readBody(req, { max: maxBody, name: 'the ACC limit', hint: 'send a smaller message' }, idleMs);
    } catch (err) {
      if (err instanceof CaxtonError && err.code === 'console.body-too-large') throw refusal.tooLarge('', maxBody);
      if (err instanceof CaxtonError) throw refusal.bad(err.message, err.hint ?? 'send the post again');
      throw err;
    }
    const { message, payload, received, signature } = messageFromPost(body, req.headers['content-type'], peer, o.platform, {
      keys: o.peers.keysOf(peer.platform),
      now: now(),
    });
    const key = sameSendKey(message, payload, received, signature);
    const sender = o.audited ? o.audited.as(callerOf(req, peer)) : o.control;
    state.sending = true;
    return sender.send(message, {
      lane: 'client',
      viaAcc: peer.platform,
      // A signed send's request is what its signature covers: a replay that changed unsigned parts
      // derives the same message id, so the log's dedup drops it after the key's window forgot it.
      ...(key
        ? {
            idempotency: {
              caller: `mtp ${peer.platform}`,
              key,
              ...(signature !== undefined ? { digest: signedContentDigest(message) } : {}),
            },
          }
        : {}),
    });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let peer: MtpPeer | undefined;
    const state = { sending: false };
    const path = new URL(req.url ?? '/', 'http://acc.invalid').pathname;
    try {
      const m = /^\/acc\/([^/]{1,300})$/.exec(path);
      peer = m ? o.peers.bySecret(m[1]!) : undefined;
      if (peer === undefined) throw refusal.unauthenticated();
      if (req.method !== 'POST') throw refusal.method(req.method ?? '?');
      const rated = buckets.take(peer.platform, peer.ratePerSecond, now());
      if (!rated.ok) throw refusal.rate(peer.platform, rated.retryAfterMs);
      if (!inFlight.enter(peer.platform)) throw refusal.busy(peer.platform);
      let sent: SendResult;
      try {
        sent = await deliver(req, peer, state);
      } finally {
        inFlight.leave(peer.platform);
      }
      answer(res, 200, { messageId: sent.messageId, accepted: sent.accepted, refused: sent.refused });
    } catch (err) {
      if (!(err instanceof CaxtonError)) throw err;
      const fault = err.code === 'mtp.signature-refused' ? (err.context as { fault: SignatureFault }).fault : undefined;
      if (peer && fault) o.onSignatureRefused?.(peer.platform, fault);
      // The path carries the secret: it is never shown, only which peer it named.
      const shown = {
        path: path.startsWith('/acc/') ? '/acc/<secret>' : path.slice(0, 200),
        ...(peer ? { platform: peer.platform } : {}),
        // Why a signature was refused (decision 2188): one of a fixed set, for `caxton audit`.
        ...(fault ? { signature: fault } : {}),
      };
      // Sends refused by the bus were recorded by the audited surface already; the rest are recorded here.
      if (o.audited && !state.sending)
        await o.audited
          .refused(callerOf(req, peer), { method: 'MtpPost', args: auditArgs(shown, shown) }, err, {
            ...(peer ? { knownPeer: `mtp ${peer.platform}` } : {}),
            ...(fault ? { detail: fault } : {}),
          })
          .catch(report);
      const retry = (err.context as { retryAfterMs?: number } | undefined)?.retryAfterMs;
      answer(
        res,
        statusOf(err),
        { code: err.code, message: err.message, hint: err.hint ?? '' },
        {
          ...(retry !== undefined ? { 'retry-after': String(Math.max(1, Math.ceil(retry / 1000))) } : {}),
          // An unread body is not drained: the connection closes instead.
          ...(req.complete ? {} : { connection: 'close' }),
        },
      );
    }
  };

  const listener = await listenHttp({
    host: o.host,
    port: o.port,
    ...(o.tls ? { tls: o.tls } : {}),
    listenFlag: '--mtp-http',
    certFlags: LISTENER_CERT_FLAGS,
    fail: (message, hint) => new MtpConfigError(message, hint),
    handler: (req, res) => {
      handle(req, res).catch((err: unknown) => {
        report(err);
        if (!res.headersSent)
          answer(res, 500, {
            code: 'mtp.internal',
            message: 'the ACC failed to take the message',
            hint: "see the node's output for the cause",
          });
        else res.destroy();
      });
    },
    tune: (server) => {
      server.headersTimeout = 10_000;
      server.requestTimeout = MTP_REQUEST_TIMEOUT_MS;
      server.maxConnections = MAX_MTP_CONNECTIONS;
      server.maxHeadersCount = 64;
    },
  });
  return { port: listener.port, url: `${listener.origin}/acc`, close: () => listener.close() };
}
