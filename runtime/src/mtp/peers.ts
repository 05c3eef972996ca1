/**
 * The platforms this node exchanges FIPA messages with (decision 1910), from the `--mtp-peers`
 * file: each peer has a platform name and a secret. The secret is the last segment of the ACC URL
 * the peer posts to (`http://host:port/acc/<secret>`: a capability URL, because JADE's HTTP MTP
 * cannot add headers), and it is the return address Caxton gives that peer's agents in every
 * message it sends them. Pure: parsed and checked here, looked up by secret in constant time.
 */
import { createHash, timingSafeEqual, type KeyObject } from 'node:crypto';
import { MTP_SIGNATURE_LIMITS } from '@caxton/core';
import { MtpConfigError } from './errors.js';
import { PLATFORM_NAME } from './advertise.js';
import { isSmallOrderKey, publicKeyFromRaw } from './message-signature.js';
import { KEY_ID } from '../signing/key-file.js';

export interface MtpPeer {
  /** The peer's platform name: its agents are `<name>@<platform>`. */
  platform: string;
  secret: string;
  /** The peer's ACC, for receivers named without `:addresses`. */
  acc?: string;
  /** Posts per second the peer may make (a token bucket of twice that). */
  ratePerSecond: number;
  /**
   * The peer platform's Ed25519 public keys (decision 2188): id and 32 raw bytes in base64. A post
   * whose `X-caxton-sig` names one of them must verify. Several keys: the peer rotates without downtime.
   */
  publicKeys?: { id: string; key: string }[];
  /** With keys, a post without a signature is refused unless this is `false` (absent: required). */
  requireSignature?: boolean;
}

export const DEFAULT_PEER_RATE = 200;
const SECRET = /^[A-Za-z0-9_-]{32,256}$/;
const MAX_PEERS = 256;

const HINT =
  'give --mtp-peers a JSON file: {"peers":[{"platform":"jade-1","secret":"<32+ characters of A-Z a-z 0-9 _ ->","acc":"http://127.0.0.1:7778/acc"}]} (docs/interop.md)';

/** Check the peers file's JSON; `localPlatform` may not be a peer (its names are this node's agents). */
export function parseMtpPeers(text: string, localPlatform: string): MtpPeer[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new MtpConfigError(`the MTP peers file is not JSON: ${(err as Error).message}`, HINT);
  }
  const list = (raw as { peers?: unknown } | null)?.peers;
  if (!Array.isArray(list) || list.length === 0) throw new MtpConfigError('the MTP peers file lists no peers', HINT);
  if (list.length > MAX_PEERS) throw new MtpConfigError(`the MTP peers file lists ${list.length} peers, more than ${MAX_PEERS}`, HINT);
  const peers: MtpPeer[] = [];
  for (const [i, p] of list.entries()) {
    const e = p as Record<string, unknown>;
    const at = `peers[${i}]`;
    if (typeof e.platform !== 'string' || !PLATFORM_NAME.test(e.platform))
      throw new MtpConfigError(`${at}.platform is not a platform name`, HINT);
    if (e.platform === localPlatform)
      throw new MtpConfigError(
        `${at}.platform is this node's own platform (${localPlatform})`,
        'name the other platform, e.g. the JADE -platform-id',
      );
    if (typeof e.secret !== 'string' || !SECRET.test(e.secret))
      throw new MtpConfigError(
        `${at}.secret must be 32 to 256 characters of A-Z a-z 0-9 _ -`,
        'generate one: openssl rand -base64 32 | tr "+/" "-_" | tr -d "="',
      );
    if (peers.some((q) => q.platform === e.platform)) throw new MtpConfigError(`${at}.platform ${e.platform} is listed twice`, HINT);
    if (peers.some((q) => q.secret === e.secret))
      throw new MtpConfigError(`${at}.secret is the secret of another peer`, 'give each peer its own secret: it tells them apart');
    const peer: MtpPeer = { platform: e.platform, secret: e.secret, ratePerSecond: DEFAULT_PEER_RATE };
    if (e.acc !== undefined) {
      if (typeof e.acc !== 'string' || !/^https?:\/\//.test(e.acc) || !URL.canParse(e.acc))
        throw new MtpConfigError(`${at}.acc is not an http(s) URL`, HINT);
      peer.acc = e.acc;
    }
    if (e.ratePerSecond !== undefined) {
      if (typeof e.ratePerSecond !== 'number' || !Number.isInteger(e.ratePerSecond) || e.ratePerSecond < 1 || e.ratePerSecond > 100_000) {
        throw new MtpConfigError(`${at}.ratePerSecond must be an integer 1..100000`, HINT);
      }
      peer.ratePerSecond = e.ratePerSecond;
    }
    parsePeerKeys(e, at, peer);
    peers.push(peer);
  }
  return peers;
}

const KEYS_HINT =
  'list the peer\'s keys as "publicKeys":[{"id":"<1-32 of A-Z a-z 0-9 . _ ->","key":"<its 32 raw bytes in base64>"}] (docs/interop.md § Signed messages)';

/** A peer's `publicKeys` and `requireSignature` (decision 2188): bounded, each key a real Ed25519 key. */
function parsePeerKeys(e: Record<string, unknown>, at: string, peer: MtpPeer): void {
  if (e.requireSignature !== undefined && typeof e.requireSignature !== 'boolean')
    throw new MtpConfigError(`${at}.requireSignature must be true or false`, KEYS_HINT);
  if (e.publicKeys === undefined) {
    if (e.requireSignature === true) throw new MtpConfigError(`${at}.requireSignature is true but the peer lists no publicKeys`, KEYS_HINT);
    return;
  }
  const list = e.publicKeys;
  if (!Array.isArray(list) || list.length === 0) throw new MtpConfigError(`${at}.publicKeys must be a non-empty list`, KEYS_HINT);
  if (list.length > MTP_SIGNATURE_LIMITS.maxPublicKeysPerPeer)
    throw new MtpConfigError(
      `${at}.publicKeys lists ${list.length} keys, more than ${MTP_SIGNATURE_LIMITS.maxPublicKeysPerPeer}`,
      "keep the peer's current key and the ones it is rotating from",
    );
  const keys: { id: string; key: string }[] = [];
  for (const [j, k] of list.entries()) {
    const where = `${at}.publicKeys[${j}]`;
    const id = (k as { id?: unknown } | null)?.id;
    const key = (k as { key?: unknown } | null)?.key;
    if (typeof id !== 'string' || !KEY_ID.test(id)) throw new MtpConfigError(`${where}.id is not a key id`, KEYS_HINT);
    if (keys.some((x) => x.id === id)) throw new MtpConfigError(`${where}.id ${id} is listed twice`, 'give each key its own id');
    if (typeof key !== 'string' || key.length !== 44 || !/^[A-Za-z0-9+/]{43}=$/.test(key))
      throw new MtpConfigError(`${where}.key is not 32 bytes in base64`, KEYS_HINT);
    if (isSmallOrderKey(Buffer.from(key, 'base64')))
      throw new MtpConfigError(
        `${where}.key is a point of small order, with which forged signatures verify`,
        "list the peer's real public key: the one its node prints at start",
      );
    try {
      publicKeyFromRaw(Buffer.from(key, 'base64'));
    } catch {
      throw new MtpConfigError(`${where}.key is not an Ed25519 public key`, KEYS_HINT);
    }
    keys.push({ id, key });
  }
  peer.publicKeys = keys;
  // A peer that lists keys signs (decision 2188): a post without a signature is refused, unless the
  // file says requireSignature: false (a peer that starts signing later, or only some of its posts).
  peer.requireSignature = e.requireSignature !== false;
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** The configured peers, found by the secret of a request path or by platform name. */
export class MtpPeerTable {
  private readonly byDigest: { digest: Buffer; peer: MtpPeer }[];
  private readonly byPlatform: Map<string, MtpPeer>;
  /** Per platform with keys: key id → public key, made once. */
  private readonly keys = new Map<string, ReadonlyMap<string, KeyObject>>();

  constructor(readonly peers: readonly MtpPeer[]) {
    this.byDigest = peers.map((peer) => ({ digest: digest(peer.secret), peer }));
    this.byPlatform = new Map(peers.map((p) => [p.platform, p]));
    for (const p of peers)
      if (p.publicKeys !== undefined)
        this.keys.set(p.platform, new Map(p.publicKeys.map((k) => [k.id, publicKeyFromRaw(Buffer.from(k.key, 'base64'))])));
  }

  /** The public keys `platform`'s signatures are checked with; undefined when it lists none. */
  keysOf(platform: string): ReadonlyMap<string, KeyObject> | undefined {
    return this.keys.get(platform);
  }

  /** The peer whose secret this is; every entry is compared, in constant time, so timing tells nothing. */
  bySecret(secret: string): MtpPeer | undefined {
    const d = digest(secret);
    let found: MtpPeer | undefined;
    for (const e of this.byDigest) if (timingSafeEqual(e.digest, d)) found = e.peer;
    return found;
  }

  byName(platform: string): MtpPeer | undefined {
    return this.byPlatform.get(platform);
  }
}

/** `pong@jade-1` → `jade-1`; undefined for a bare name. */
export function platformOf(agentName: string): string | undefined {
  const at = agentName.lastIndexOf('@');
  return at < 0 ? undefined : agentName.slice(at + 1);
}
