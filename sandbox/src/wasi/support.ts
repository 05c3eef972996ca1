/**
 * The WASI 0.2 interfaces the sandbox serves (all deny-by-default, see deny-wasi.ts). A component
 * importing any other WASI interface (wasi:http, …) is refused at load time.
 */
/** Which WASI imports a component may have (checked by artifact/world-check.ts). */
export interface WasiSupport {
  /** e.g. `wasi:cli/environment` (unversioned). */
  interfaces: ReadonlySet<string>;
  /** Accepted major.minor, e.g. `0.2`. */
  versionPrefix: string;
}

export const WASI_INTERFACES: readonly string[] = [
  'wasi:cli/environment',
  'wasi:cli/exit',
  'wasi:cli/stdin',
  'wasi:cli/stdout',
  'wasi:cli/stderr',
  'wasi:cli/terminal-input',
  'wasi:cli/terminal-output',
  'wasi:cli/terminal-stdin',
  'wasi:cli/terminal-stdout',
  'wasi:cli/terminal-stderr',
  'wasi:clocks/monotonic-clock',
  'wasi:clocks/wall-clock',
  'wasi:filesystem/types',
  'wasi:filesystem/preopens',
  'wasi:io/error',
  'wasi:io/poll',
  'wasi:io/streams',
  'wasi:random/random',
  'wasi:random/insecure',
  'wasi:random/insecure-seed',
  'wasi:sockets/network',
  'wasi:sockets/instance-network',
  'wasi:sockets/tcp',
  'wasi:sockets/tcp-create-socket',
  'wasi:sockets/udp',
  'wasi:sockets/udp-create-socket',
  'wasi:sockets/ip-name-lookup',
];

export const WASI_SUPPORT: WasiSupport = { interfaces: new Set(WASI_INTERFACES), versionPrefix: '0.2' };
