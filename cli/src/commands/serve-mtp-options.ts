/**
 * `caxton serve --mtp-http <host:port> --mtp-peers <file> [--mtp-advertise <url>]`: the FIPA HTTP MTP (decision 1910), off
 * by default. A peer's secret travels in its ACC URL's path: off loopback it needs TLS
 * (--listener-cert/--listener-key) or --listener-insecure (decision 2040). The flags only: what
 * they become (the peers file read and parsed) is serve-mtp-node-options.ts, loaded when serve runs,
 * so `caxton --help` never loads the node (decision 1780).
 */
import type { Argv } from 'yargs';

export interface MtpArgs {
  mtpHttp?: string;
  mtpPeers?: string;
  mtpCa?: string;
  mtpAdvertise?: string;
  mtpSigningKeyFile?: string;
}

/** The variable that stands in for `--mtp-signing-key-file` (a Kubernetes Secret maps onto it). */
export const MTP_SIGNING_KEY_ENV = 'CAXTON_MTP_SIGNING_KEY_FILE';

export function withMtpOptions<T>(y: Argv<T>): Argv<T> {
  return y
    .option('mtp-http', {
      type: 'string',
      describe:
        'Serve a FIPA ACC (HTTP MTP, SC00084) on host:port (HTTPS with --listener-cert), so JADE and other FIPA platforms exchange messages with agents here (off by default; needs --mtp-peers; e.g. 127.0.0.1:7780)',
    })
    .option('mtp-peers', {
      type: 'string',
      describe:
        'JSON file of the peer platforms allowed to post: {"peers":[{"platform":"jade-1","secret":"…","acc":"<its ACC URL>"}]}; each posts to http(s)://<mtp-http>/acc/<its secret> (docs/interop.md)',
    })
    .option('mtp-advertise', {
      type: 'string',
      describe:
        "The URL peers reach this ACC at, without the secret (e.g. https://10.0.0.5:7780/acc; plain http:// off loopback needs --listener-insecure): written into outgoing envelopes and the agents' addresses; default the --mtp-http address, required when that is 0.0.0.0 or [::]",
    })
    .option('mtp-signing-key-file', {
      type: 'string',
      describe: `File of \`<keyId> <base64 Ed25519 seed>\` lines: every message posted to a peer platform is signed with the first key (X-caxton-sig); give peers the public keys the node prints at start (docs/interop.md § Signed messages) [${MTP_SIGNING_KEY_ENV}]`,
    })
    .option('mtp-ca', {
      type: 'string',
      describe: "PEM file of CA certificates trusted, besides the system's, for posts to peers' https:// ACCs",
    }) as unknown as Argv<T>;
}
