/**
 * WASI 0.2 for agents, deny-by-default, one set of import objects per agent instance.
 *
 * Components built from JavaScript, C, Rust or Go carry WASI imports even when the agent never uses
 * them. They get: no host filesystem — only `/data`, the agent's own files kept in its durable state
 * (filesystem.ts, decision 2191), when the sandbox gives `files`; without it no preopens, so no
 * descriptor can ever be obtained — no environment
 * variables, no arguments, no working directory, no sockets (every socket or name lookup fails with
 * `access-denied`), no stdin (always closed). Allowed: clocks and randomness (the world already
 * exposes `now`; randomness leaks nothing). stdout/stderr lines become the agent's log lines.
 * Clocks tick in whole milliseconds (the resolution they report): a finer monotonic clock would be a
 * timing channel between agents sharing a worker.
 * Given a `handling` (decision 2174), its clocks are the bridge's (the host's time, each read
 * counted) and insecure random bytes a stream derived from the handling, the same whenever the same
 * work runs again (a redelivery, a replay); `insecure-seed` stays real (hash-flooding protection).
 * Nothing here ever blocks the thread: pollables are always ready, so a guest "sleeping" on a clock
 * spins and pays fuel instead of stalling its shard. Every call is charged host-call fuel.
 *
 * The object shapes follow jco's host conventions: camelCase functions, resources as classes (jco
 * checks `instanceof`), `result` errors thrown as their payload, u64 as bigint.
 */
import { randomBytes } from 'node:crypto';
import { GuestExit } from '../errors.js';
import { OutputBudget } from './output-budget.js';
import { AgentFileSystem, Descriptor, DirectoryEntryStream, type FileSystemHost, filesystemErrorCode } from './filesystem.js';
import { AssetFileSystem } from './assets.js';
import type { AssetTree } from '@caxton/core';
import { InputStream, IoError, OutputStream, Pollable } from './streams.js';

export interface WasiSinks {
  /** Charge a host call moving `bytes` bytes. */
  charge(bytes: number): void;
  /**
   * Charge a write to stdout/stderr of `bytes` read and `dropped` offered past the call's output
   * budget, at what each costs the shard (cost-model.ts, outputFuel). Absent: charged like any
   * host call.
   */
  chargeOutput?(bytes: number, dropped: number): void;
  /** Charge the part of a write cut at the budget that is dropped (its read part is a write of its own). */
  chargeDropped?(bytes: number): void;
  /** A complete line (or flushed fragment) written to stdout or stderr. */
  output(stream: 'stdout' | 'stderr', line: string): void;
  /** Bytes of one line kept; the rest of the line is skipped (scanned for its newline only). Default 4 KiB. */
  maxLineBytes?: number;
  /** Bytes one call may write to stdout and stderr together (`maxOutputBytes`); default: no limit. */
  maxOutputBytes?: number;
  /** At the end of a call that wrote past `maxOutputBytes`: the bytes dropped (not read). */
  outputDropped?(bytes: number): void;
  /**
   * The guest's clocks and insecure randomness as the handling gives them (decision 2174): wall
   * time in ms, monotonic time in ns (the host's, counted), and insecure bytes derived from the
   * work (undefined: real randomness). Absent: the host's clocks and real randomness.
   */
  handling?: WasiHandling;
  /** The agent's files at /data (decision 2191); absent: no directory is preopened. */
  files?: FileSystemHost;
  /** The read-only files its component ships, at /assets (decision 2192), with `files` only (one lift guard serves both); absent or empty: no /assets. */
  assets?: AssetTree;
}

export interface WasiHandling {
  wallClockMs(): number;
  monotonicNs(): bigint;
  insecureRandom(n: number): Uint8Array | undefined;
  /** Secure random bytes read (always real randomness): counted. */
  secureRandomRead(n: number): void;
}

const DEFAULT_LINE_BYTES = 4096;

/** Clock resolution, nanoseconds: 1 ms. */
export const CLOCK_RESOLUTION_NS = 1_000_000n;

/** Largest random buffer a guest may ask for in one call. */
export const MAX_RANDOM_BYTES = 1 << 20;

const WRITE_PERMIT = 4096n;

/** What a write of which `bytes` are read is charged: the output price, or a host call's if the sinks have none. */
function chargeWrite(sinks: WasiSinks, bytes: number, dropped: number): void {
  if (sinks.chargeOutput) sinks.chargeOutput(bytes, dropped);
  else sinks.charge(bytes);
}

/**
 * stdout/stderr: bytes are split at newlines as they arrive and each line is kept up to
 * `maxLineBytes` (pieces in an array, joined once per line), so writing costs linear time in what
 * was written, and the buffer never holds more than one line's cap however long a line runs.
 */
class LogOutputStream extends OutputStream {
  private pieces: string[] = [];
  private pendingBytes = 0;
  private cut = false;
  private readonly decoder = new TextDecoder('utf-8');

  constructor(
    private readonly stream: 'stdout' | 'stderr' | 'void',
    private readonly sinks: WasiSinks,
    private readonly budget: OutputBudget,
  ) {
    super();
  }

  private append(bytes: Uint8Array): void {
    if (bytes.byteLength === 0) return;
    const room = (this.sinks.maxLineBytes ?? DEFAULT_LINE_BYTES) - this.pendingBytes;
    if (room <= 0) {
      this.cut = true;
      return;
    }
    const take = bytes.byteLength > room ? bytes.subarray(0, room) : bytes;
    if (take !== bytes) this.cut = true;
    this.pieces.push(this.decoder.decode(take, { stream: true }));
    this.pendingBytes += take.byteLength;
  }

  private emitLine(): void {
    let line = this.pieces.join('') + this.decoder.decode();
    if (this.cut) line += '…';
    this.pieces = [];
    this.pendingBytes = 0;
    this.cut = false;
    this.sinks.output(this.stream as 'stdout' | 'stderr', line);
  }

  override checkWrite(): bigint {
    this.sinks.charge(0);
    return WRITE_PERMIT;
  }

  override write(written: Uint8Array): void {
    // Every byte read is paid for, kept or not: the host scans and copies it either way. Bytes past
    // the call's output budget are dropped unread (on the jco path they were not even lifted).
    const take = this.budget.admit(written.byteLength);
    const contents = take === written.byteLength ? written : written.subarray(0, take);
    chargeWrite(this.sinks, take, written.byteLength - take);
    if (this.stream === 'void' || take === 0) return;
    let start = 0;
    for (;;) {
      const nl = contents.indexOf(10, start);
      if (nl < 0) {
        this.append(contents.subarray(start));
        return;
      }
      this.append(contents.subarray(start, nl));
      this.emitLine();
      start = nl + 1;
    }
  }

  override blockingWriteAndFlush(contents: Uint8Array): void {
    this.write(contents);
  }

  override flush(): void {
    this.sinks.charge(0);
  }

  override blockingFlush(): void {
    this.sinks.charge(0);
  }

  override writeZeroes(len: bigint): void {
    this.write(new Uint8Array(Number(len > WRITE_PERMIT ? WRITE_PERMIT : len)));
  }

  override blockingWriteZeroesAndFlush(len: bigint): void {
    this.writeZeroes(len);
  }

  /** Emits a trailing partial line (called at the end of each guest call). */
  drain(): void {
    if (this.stream !== 'void' && (this.pendingBytes > 0 || this.cut)) this.emitLine();
  }
}

/** Resources no agent can ever obtain; present because jco checks `instanceof` against them. */
class TerminalInput {}
class TerminalOutput {}
class Network {}
class TcpSocket {}
class UdpSocket {}
class IncomingDatagramStream {}
class OutgoingDatagramStream {}
class ResolveAddressStream {}

/** The call's output budget as the jco stream guard asks it (lift-guard.ts, `guardStreamImports`). */
export interface WasiOutput {
  /** Bytes the call may still write. */
  room(): number;
  /** Counts and charges (decision 2129) bytes of a write cut short before it was lifted. */
  drop(bytes: number): void;
  /**
   * A whole write past the budget, answered by the guard without jco's glue (decision 2122): counts
   * its bytes as dropped and charges it what the stream charges a write it reads nothing of (a host
   * call and its bytes offered, decision 2129).
   */
  dropWrite(bytes: number): void;
}

export interface WasiInstance {
  /** Import objects keyed the way jco's glue asks for them (`wasi:cli/environment`, …). */
  imports: Record<string, Record<string, unknown>>;
  /** What the current call may still write to stdout and stderr (the jco lift guard asks it before lifting). */
  output: WasiOutput;
  /** Flush partial stdout/stderr lines into the log; report the bytes the call dropped; start the next call's budget. */
  drain(): void;
  /** The agent's files at /data, when it has them (the lift guard refuses oversized arguments through it). */
  files?: AgentFileSystem;
}

const monotonicStart = process.hrtime.bigint();

/** The host's own clocks and randomness, for a WASI instance given no handling (tools, tests). */
const HOST_HANDLING: WasiHandling = {
  wallClockMs: () => Date.now(),
  monotonicNs: () => process.hrtime.bigint() - monotonicStart,
  insecureRandom: () => undefined,
  secureRandomRead: () => undefined,
};

export function createDenyWasi(sinks: WasiSinks): WasiInstance {
  const budget = new OutputBudget(sinks.maxOutputBytes ?? Number.POSITIVE_INFINITY);
  const stdout = new LogOutputStream('stdout', sinks, budget);
  const stderr = new LogOutputStream('stderr', sinks, budget);
  const stdin = new InputStream();
  const charge = (bytes = 0) => sinks.charge(bytes);
  const handling = sinks.handling ?? HOST_HANDLING;
  const files = sinks.files !== undefined ? new AgentFileSystem(sinks.files) : undefined;
  const assets =
    files !== undefined && sinks.assets !== undefined && sinks.assets.files.size > 0
      ? new AssetFileSystem({ charge: (bytes) => charge(bytes) }, sinks.assets, files)
      : undefined;
  const preopens = (): [Descriptor, string][] => [...(files?.preopens() ?? []), ...(assets?.preopens() ?? [])];
  const insecure = (n: number): Uint8Array => handling.insecureRandom(n) ?? new Uint8Array(randomBytes(n));
  const u64 = (b: Uint8Array, at = 0): bigint => Buffer.from(b.buffer, b.byteOffset, b.byteLength).readBigUInt64LE(at);
  const randomLength = (len: bigint): number => {
    if (len > BigInt(MAX_RANDOM_BYTES)) throw new RangeError(`random: ${len} bytes requested, at most ${MAX_RANDOM_BYTES} allowed`);
    return Number(len);
  };

  const imports: Record<string, Record<string, unknown>> = {
    'wasi:cli/environment': {
      getEnvironment: () => (charge(), []),
      getArguments: () => (charge(), []),
      initialCwd: () => (charge(), undefined),
    },
    'wasi:cli/exit': {
      exit: (status: { tag: 'ok' | 'err' }) => {
        throw new GuestExit(status?.tag === 'ok' ? 0 : 1);
      },
      exitWithCode: (code: number) => {
        throw new GuestExit(code);
      },
    },
    'wasi:cli/stdin': { getStdin: () => (charge(), stdin) },
    'wasi:cli/stdout': { getStdout: () => (charge(), stdout) },
    'wasi:cli/stderr': { getStderr: () => (charge(), stderr) },
    'wasi:cli/terminal-input': { TerminalInput },
    'wasi:cli/terminal-output': { TerminalOutput },
    'wasi:cli/terminal-stdin': { getTerminalStdin: () => (charge(), undefined) },
    'wasi:cli/terminal-stdout': { getTerminalStdout: () => (charge(), undefined) },
    'wasi:cli/terminal-stderr': { getTerminalStderr: () => (charge(), undefined) },
    'wasi:clocks/monotonic-clock': {
      now: () => {
        charge();
        const ns = handling.monotonicNs();
        return ns - (ns % CLOCK_RESOLUTION_NS);
      },
      resolution: () => (charge(), CLOCK_RESOLUTION_NS),
      subscribeInstant: () => (charge(), new Pollable()),
      subscribeDuration: () => (charge(), new Pollable()),
    },
    'wasi:clocks/wall-clock': {
      now: () => {
        charge();
        const ms = handling.wallClockMs();
        return { seconds: BigInt(Math.floor(ms / 1000)), nanoseconds: (ms % 1000) * 1_000_000 };
      },
      resolution: () => (charge(), { seconds: 0n, nanoseconds: Number(CLOCK_RESOLUTION_NS) }),
    },
    'wasi:filesystem/preopens': { getDirectories: () => (charge(), preopens()) },
    'wasi:filesystem/types': {
      Descriptor,
      DirectoryEntryStream,
      filesystemErrorCode: (err: unknown) => (charge(), filesystemErrorCode(err)),
    },
    'wasi:io/error': { Error: IoError },
    'wasi:io/poll': {
      Pollable,
      poll: (list: unknown[]) => (charge(list.length * 4), new Uint32Array(list.map((_, i) => i))),
    },
    'wasi:io/streams': { InputStream, OutputStream },
    'wasi:random/random': {
      getRandomBytes: (len: bigint) => {
        const n = randomLength(len);
        charge(n);
        handling.secureRandomRead(n);
        return new Uint8Array(randomBytes(n));
      },
      getRandomU64: () => (charge(8), handling.secureRandomRead(8), randomBytes(8).readBigUInt64LE()),
    },
    'wasi:random/insecure': {
      getInsecureRandomBytes: (len: bigint) => {
        const n = randomLength(len);
        charge(n);
        return insecure(n);
      },
      getInsecureRandomU64: () => (charge(8), u64(insecure(8))),
    },
    'wasi:random/insecure-seed': {
      insecureSeed: () => {
        // Real randomness: runtimes seed their hash tables with it (hash-flooding protection), and a
        // seed anyone could derive from a delivery would hand an attacker the collisions.
        charge(16);
        const b = randomBytes(16);
        return [b.readBigUInt64LE(0), b.readBigUInt64LE(8)];
      },
    },
    'wasi:sockets/network': { Network, networkErrorCode: () => (charge(), undefined) },
    'wasi:sockets/instance-network': { instanceNetwork: () => (charge(), new Network()) },
    'wasi:sockets/tcp-create-socket': {
      createTcpSocket: () => {
        charge();
        throw 'access-denied';
      },
    },
    'wasi:sockets/udp-create-socket': {
      createUdpSocket: () => {
        charge();
        throw 'access-denied';
      },
    },
    'wasi:sockets/tcp': { TcpSocket },
    'wasi:sockets/udp': { UdpSocket, IncomingDatagramStream, OutgoingDatagramStream },
    'wasi:sockets/ip-name-lookup': {
      ResolveAddressStream,
      resolveAddresses: () => {
        charge();
        throw 'access-denied';
      },
    },
  };
  return {
    imports,
    ...(files !== undefined ? { files } : {}),
    output: {
      room: () => budget.room(),
      drop: (bytes) => {
        budget.drop(bytes);
        sinks.chargeDropped?.(bytes);
      },
      dropWrite: (bytes) => {
        budget.drop(bytes);
        chargeWrite(sinks, 0, bytes);
      },
    },
    drain() {
      stdout.drain();
      stderr.drain();
      const dropped = budget.end();
      if (dropped > 0) sinks.outputDropped?.(dropped);
      // The call's changed files into the state's write buffer, before the sandbox commits it.
      files?.flush();
    },
  };
}
