/**
 * A request body (an uploaded component, a message to send), bounded before it is held: a declared
 * Content-Length above the limit is refused before one byte is read, and a body without one
 * (chunked) is counted as it arrives and cut off at the limit. Slow senders are dropped after
 * `idleMs` of silence.
 */
import type { IncomingMessage } from 'node:http';
import { ConsoleError } from './errors.js';

/** What a body is bounded by, for the refusal: the limit's name and what to do about it. */
export interface BodyLimit {
  max: number;
  /** e.g. "the node's artifact limit". */
  name: string;
  hint: string;
}

export const ARTIFACT_BODY = (max: number): BodyLimit => ({ max, name: "the node's artifact limit", hint: 'build a smaller component, or start the node with a larger --max-artifact-mib' });

function tooLarge(limit: BodyLimit, declared?: number): ConsoleError {
  return new ConsoleError('console.body-too-large', `${declared !== undefined ? `the body declares ${declared} bytes, ` : 'the body is '}more than ${limit.name} of ${limit.max} bytes`,
    limit.hint, { limit: limit.max });
}

/** Refuse a declared size above `max` without reading (call before anything else). */
export function checkDeclaredLength(req: IncomingMessage, limit: BodyLimit): void {
  const header = req.headers['content-length'];
  if (header === undefined) return;
  const declared = Number(header);
  if (!Number.isSafeInteger(declared) || declared < 0) throw new ConsoleError('console.bad-request', 'Content-Length is not a byte count', 'give the body\'s length in bytes, or send it chunked');
  if (declared > limit.max) throw tooLarge(limit, declared);
}

export function readBody(req: IncomingMessage, limit: BodyLimit, idleMs: number): Promise<Buffer> {
  checkDeclaredLength(req, limit);
  const max = limit.max;
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
    const idle = (): ConsoleError => new ConsoleError('console.bad-request', `no body data for ${idleMs} ms; request abandoned`, 'check the network and send the request again');
    const onData = (chunk: Buffer): void => {
      clearTimeout(timer);
      timer = setTimeout(() => finish(idle()), idleMs);
      received += chunk.length;
      if (received > max) {
        finish(tooLarge(limit));
        req.pause();
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => finish(undefined));
    req.on('error', (err) => finish(err));
    req.on('aborted', () => finish(new ConsoleError('console.bad-request', 'the client aborted the request', 'send it again')));
  });
}
