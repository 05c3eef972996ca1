/**
 * An uploaded component's bytes, bounded before they are held: a declared Content-Length above the
 * limit is refused before one byte is read, and a body without one (chunked) is counted as it
 * arrives and cut off at the limit. Slow senders are dropped after `idleMs` of silence.
 */
import type { IncomingMessage } from 'node:http';
import { ConsoleError } from './errors.js';

function tooLarge(max: number, declared?: number): ConsoleError {
  return new ConsoleError('console.body-too-large', `${declared !== undefined ? `the body declares ${declared} bytes, ` : 'the body is '}more than the node's artifact limit of ${max} bytes`,
    'build a smaller component, or start the node with a larger --max-artifact-mib', { limit: max });
}

/** Refuse a declared size above `max` without reading (call before anything else). */
export function checkDeclaredLength(req: IncomingMessage, max: number): void {
  const header = req.headers['content-length'];
  if (header === undefined) return;
  const declared = Number(header);
  if (!Number.isSafeInteger(declared) || declared < 0) throw new ConsoleError('console.bad-request', 'Content-Length is not a byte count', 'send the component as the request body');
  if (declared > max) throw tooLarge(max, declared);
}

export function readBody(req: IncomingMessage, max: number, idleMs: number): Promise<Buffer> {
  checkDeclaredLength(req, max);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let done = false;
    const finish = (err: Error | undefined): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.removeListener('data', onData);
      if (err) {
        chunks.length = 0;
        reject(err);
      } else resolve(Buffer.concat(chunks, received));
    };
    let timer = setTimeout(() => finish(idle()), idleMs);
    const idle = (): ConsoleError => new ConsoleError('console.bad-request', `no body data for ${idleMs} ms; upload abandoned`, 'check the network and retry the upload');
    const onData = (chunk: Buffer): void => {
      clearTimeout(timer);
      timer = setTimeout(() => finish(idle()), idleMs);
      received += chunk.length;
      if (received > max) {
        finish(tooLarge(max));
        req.pause();
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => finish(undefined));
    req.on('error', (err) => finish(err));
    req.on('aborted', () => finish(new ConsoleError('console.bad-request', 'the client aborted the upload', 'retry the upload')));
  });
}
