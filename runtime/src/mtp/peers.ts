/**
 * The platforms this node exchanges FIPA messages with (decision 1910), from the `--mtp-peers`
 * file: each peer has a platform name and a secret. The secret is the last segment of the ACC URL
 * the peer posts to (`http://host:port/acc/<secret>`: a capability URL, because JADE's HTTP MTP
 * cannot add headers), and it is the return address Caxton gives that peer's agents in every
 * message it sends them. Pure: parsed and checked here, looked up by secret in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { MtpConfigError } from './errors.js';
import { PLATFORM_NAME } from './advertise.js';

export interface MtpPeer {
  /** The peer's platform name: its agents are `<name>@<platform>`. */
  platform: string;
  secret: string;
  /** The peer's ACC, for receivers named without `:addresses`. */
  acc?: string;
  /** Posts per second the peer may make (a token bucket of twice that). */
  ratePerSecond: number;
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
    peers.push(peer);
  }
  return peers;
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** The configured peers, found by the secret of a request path or by platform name. */
export class MtpPeerTable {
  private readonly byDigest: { digest: Buffer; peer: MtpPeer }[];
  private readonly byPlatform: Map<string, MtpPeer>;

  constructor(readonly peers: readonly MtpPeer[]) {
    this.byDigest = peers.map((peer) => ({ digest: digest(peer.secret), peer }));
    this.byPlatform = new Map(peers.map((p) => [p.platform, p]));
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
