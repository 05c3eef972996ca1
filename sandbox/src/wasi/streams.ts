/**
 * The `wasi:io` resources every WASI stream of the sandbox is one of. jco checks a returned stream
 * with `instanceof` against the class the import object names, so these bases are what the
 * `wasi:io/streams` import gives, and each kind of stream (stdin, the log's stdout and stderr, a
 * file's, decision 2191) extends them, overriding what it does: the rest answers `closed`.
 */

/** The `stream-error` of a stream that has ended (or never had anything). */
export function closed(): never {
  throw { tag: 'closed' };
}

/** Nothing here ever blocks the thread: every pollable is ready. */
export class Pollable {
  ready(): boolean {
    return true;
  }
  block(): void {}
}

/** `wasi:io/error`: what a failed stream operation carries; a file's carries its filesystem error code. */
export class IoError {
  constructor(
    private readonly message: string,
    readonly filesystemCode?: string,
  ) {}
  toDebugString(): string {
    return this.message;
  }
}

/** The `last-operation-failed` stream error carrying `error`. */
export function failed(error: IoError): never {
  throw { tag: 'last-operation-failed', val: error };
}

export class InputStream {
  read(_len: bigint): Uint8Array {
    return closed();
  }
  blockingRead(_len: bigint): Uint8Array {
    return closed();
  }
  skip(_len: bigint): bigint {
    return closed();
  }
  blockingSkip(_len: bigint): bigint {
    return closed();
  }
  subscribe(): Pollable {
    return new Pollable();
  }
}

export class OutputStream {
  checkWrite(): bigint {
    return closed();
  }
  write(_contents: Uint8Array): void {
    closed();
  }
  blockingWriteAndFlush(_contents: Uint8Array): void {
    closed();
  }
  flush(): void {
    closed();
  }
  blockingFlush(): void {
    closed();
  }
  subscribe(): Pollable {
    return new Pollable();
  }
  writeZeroes(_len: bigint): void {
    closed();
  }
  blockingWriteZeroesAndFlush(_len: bigint): void {
    closed();
  }
  splice(): bigint {
    return closed();
  }
  blockingSplice(): bigint {
    return closed();
  }
}
