/**
 * Receiving an artifact over a client stream (DeployAgent / UpgradeAgent): header first, then
 * chunks, hashed as they arrive. Everything is checked before any byte reaches the node: declared
 * size against the node limit (rejected before the body is read), running size against the
 * declared size, final size and sha256 against the header.
 *
 * Cleanup: the bytes live only in this closure. A client that disconnects, is killed, goes idle or
 * sends slower than the slowest rate allowed (bodyDeadlineMs) makes the promise reject; its chunks
 * are dropped and its upload slot released at once.
 */
import { createHash } from 'node:crypto';
import type { ServerReadableStream } from '@grpc/grpc-js';
import { bodyDeadlineMs, CaxtonError, InvalidArgumentError } from '@caxton/core';
import { ResourceExhaustedError, UploadTimeoutError, UploadTooSlowError } from './errors.js';
import type { VerifiedArtifact } from '@caxton/core';
import type { ParsedHeader } from './request-parsing.js';
import type { WireArtifactUpload } from '@caxton/client';

/** Bounds how many artifacts are buffered at once (each up to maxArtifactBytes of memory). */
export class UploadSlots {
  private active = 0;

  constructor(readonly capacity: number) {}

  get inProgress(): number {
    return this.active;
  }

  /** A release function, or a RESOURCE_EXHAUSTED error when all slots are taken. */
  acquire(): () => void {
    if (this.active >= this.capacity) {
      throw new ResourceExhaustedError(`the node is already receiving ${this.capacity} uploads (artifacts and state imports)`, {
        context: { limit: this.capacity },
        hint: 'retry in a moment, once the other deployments or imports finished',
      });
    }
    this.active++;
    let released = false;
    return () => {
      if (!released) {
        released = true;
        this.active--;
      }
    };
  }
}

export class UploadCancelledError extends CaxtonError {
  constructor() {
    super('api.cancelled', 'the client cancelled the upload', { kind: 'cancelled' });
  }
}

export interface ReceivedUpload<S> {
  spec: S;
  artifact: VerifiedArtifact;
}

export function receiveUpload<S>(
  call: ServerReadableStream<WireArtifactUpload, unknown>,
  parseHeader: (header: WireArtifactUpload['header'] & object) => ParsedHeader<S>,
  opts: { slots: UploadSlots; idleTimeoutMs: number },
): Promise<ReceivedUpload<S>> {
  return new Promise((resolve, reject) => {
    let header: ParsedHeader<S> | undefined;
    let chunks: Buffer[] = [];
    let received = 0;
    const hash = createHash('sha256');
    let settled = false;
    let idleTimer: NodeJS.Timeout | undefined;
    let wholeTimer: NodeJS.Timeout | undefined;
    let release: (() => void) | undefined;

    const settle = (err: Error | undefined, value?: ReceivedUpload<S>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(idleTimer);
      clearTimeout(wholeTimer);
      release?.();
      chunks = [];
      call.removeListener('data', onData);
      // Keep draining (and discarding) what the client still sends, so its writes do not stall
      // before it sees our status.
      call.resume();
      if (err) reject(err);
      else resolve(value as ReceivedUpload<S>);
    };
    const armIdleTimer = (): void => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => settle(new UploadTimeoutError(opts.idleTimeoutMs)), opts.idleTimeoutMs);
      idleTimer.unref();
    };

    const onData = (msg: WireArtifactUpload): void => {
      try {
        armIdleTimer();
        if (!header) {
          if (msg.part !== 'header' || !msg.header) {
            throw new InvalidArgumentError(
              'header',
              'the first message of an upload must be the header',
              'send ArtifactUpload{header} before any chunk',
            );
          }
          header = parseHeader(msg.header);
          // The whole upload is bounded too, by its declared size at the slowest rate allowed.
          const deadline = bodyDeadlineMs(header.totalSize, opts.idleTimeoutMs);
          wholeTimer = setTimeout(() => settle(new UploadTooSlowError('the artifact upload', deadline, received)), deadline);
          wholeTimer.unref();
          return;
        }
        if (msg.part === 'header') throw new InvalidArgumentError('header', 'was sent twice', 'send the header once, then only chunks');
        if (msg.part !== 'chunk' || !msg.chunk) throw new InvalidArgumentError('part', 'an upload message must set header or chunk');
        received += msg.chunk.length;
        if (received > header.totalSize) {
          throw new InvalidArgumentError(
            'chunk',
            `received more bytes than header.total_size (${header.totalSize})`,
            'total_size must be the exact artifact size',
          );
        }
        hash.update(msg.chunk);
        chunks.push(Buffer.from(msg.chunk.buffer, msg.chunk.byteOffset, msg.chunk.byteLength));
      } catch (err) {
        settle(err as Error);
      }
    };

    const onEnd = (): void => {
      try {
        if (!header) throw new InvalidArgumentError('header', 'the upload ended before its header', 'send ArtifactUpload{header} first');
        if (received !== header.totalSize) {
          throw new InvalidArgumentError(
            'header.total_size',
            `announced ${header.totalSize} bytes but ${received} arrived`,
            'the upload was cut short; retry it',
          );
        }
        const digest = hash.digest('hex');
        if (digest !== header.sha256) {
          throw new InvalidArgumentError(
            'header.sha256',
            `the artifact's sha256 is ${digest}, the header says ${header.sha256}`,
            'the artifact changed or was corrupted in transit; retry the upload',
          );
        }
        const artifact: VerifiedArtifact = { bytes: Buffer.concat(chunks, received), sha256: digest };
        if (header.signature !== undefined) artifact.signature = header.signature;
        settle(undefined, { spec: header.spec, artifact });
      } catch (err) {
        settle(err as Error);
      }
    };

    try {
      release = opts.slots.acquire();
    } catch (err) {
      settle(err as Error);
      return;
    }
    armIdleTimer();
    call.on('data', onData);
    call.on('end', onEnd);
    call.on('cancelled', () => settle(new UploadCancelledError()));
    call.on('error', () => settle(new UploadCancelledError()));
    call.on('close', () => settle(new UploadCancelledError()));
  });
}
