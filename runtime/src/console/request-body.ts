/**
 * A request body (an uploaded component, a message to send), bounded before it is held: a declared
 * Content-Length above the limit is refused before one byte is read, and a body without one
 * (chunked) is counted as it arrives and cut off at the limit. Slow senders are dropped after
 * `idleMs` of silence. A JSON body is read once here too, for every ingress (A2A, MCP, the
 * console's API): readJsonBody.
 */
import type { IncomingMessage } from 'node:http';
import { BODY_MIN_BYTES_PER_SECOND, bodyDeadlineMs, DEFAULT_ACL_LIMITS, JSON_SHAPE_HINT, jsonShapeRefusal, parseJson } from '@caxton/core';
import { ConsoleError } from './errors.js';

/** What a body is bounded by, for the refusal: the limit's name and what to do about it. */
export interface BodyLimit {
  max: number;
  /** e.g. "the node's artifact limit". */
  name: string;
  hint: string;
}

/**
 * The body limit of an ingress that carries one message a request (A2A, MCP): the ACL content limit
 * plus 64 KiB for the JSON-RPC around it. One figure, so the two endpoints cannot drift apart.
 */
export const ONE_MESSAGE_BODY_BYTES = DEFAULT_ACL_LIMITS.maxMessageBytes + 64 * 1024;

export const ARTIFACT_BODY = (max: number): BodyLimit => ({
  max,
  name: "the node's artifact limit",
  hint: 'build a smaller component, or start the node with a larger --max-artifact-mib',
});

function tooLarge(limit: BodyLimit, declared?: number): ConsoleError {
  return new ConsoleError(
    'console.body-too-large',
    `${declared !== undefined ? `the body declares ${declared} bytes, ` : 'the body is '}more than ${limit.name} of ${limit.max} bytes`,
    limit.hint,
    { limit: limit.max },
  );
}

/** Refuse a declared size above `max` without reading (call before anything else); the size declared, if any. */
export function checkDeclaredLength(req: IncomingMessage, limit: BodyLimit): number | undefined {
  const header = req.headers['content-length'];
  if (header === undefined) return undefined;
  const declared = Number(header);
  if (!Number.isSafeInteger(declared) || declared < 0)
    throw new ConsoleError(
      'console.bad-request',
      'Content-Length is not a byte count',
      "give the body's length in bytes, or send it chunked",
    );
  if (declared > limit.max) throw tooLarge(limit, declared);
  return declared;
}

export function readBody(req: IncomingMessage, limit: BodyLimit, idleMs: number): Promise<Buffer> {
  const declared = checkDeclaredLength(req, limit);
  const max = limit.max;
  // The whole body is bounded too (the servers set no request timeout: live streams last hours), by
  // its size at the slowest rate allowed, so a byte now and then cannot hold an upload slot for ever.
  const deadlineMs = bodyDeadlineMs(declared ?? max, idleMs);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let done = false;
    const finish = (err: Error | undefined): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(whole);
      req.removeListener('data', onData);
      if (err) {
        chunks.length = 0;
        reject(err);
      } else resolve(Buffer.concat(chunks, received));
    };
    let timer = setTimeout(() => finish(idle()), idleMs);
    const whole = setTimeout(
      () =>
        finish(
          new ConsoleError(
            'console.body-too-slow',
            `the body was not complete after ${deadlineMs} ms (${received} bytes received); request abandoned`,
            `send it at ${BODY_MIN_BYTES_PER_SECOND / 1024} KiB/s or faster on average`,
          ),
        ),
      deadlineMs,
    );
    whole.unref();
    const idle = (): ConsoleError =>
      new ConsoleError(
        'console.bad-request',
        `no body data for ${idleMs} ms; request abandoned`,
        'check the network and send the request again',
      );
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

/**
 * Why a JSON body was refused, whatever the ingress: each (A2A, MCP, the console's API) maps the
 * reason to its own code and status, which are its wire contract. `cause` is readBody's error
 * for `too-large` and `unreadable`.
 */
export interface JsonBodyRefusal {
  refused: 'too-large' | 'unreadable' | 'unsupported-encoding' | 'unsupported-charset' | 'not-utf8' | 'too-complex' | 'not-json';
  message: string;
  hint: string;
  cause?: unknown;
}

/**
 * The charset a Content-Type names, lower-cased, or undefined (none named). A JSON body's one
 * interchange encoding is UTF-8 (RFC 8259 §8.1): any other is refused, not decoded.
 */
export function declaredCharset(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  for (const param of contentType.split(';').slice(1)) {
    const eq = param.indexOf('=');
    if (eq < 0) continue;
    if (param.slice(0, eq).trim().toLowerCase() !== 'charset') continue;
    return param
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .toLowerCase();
  }
  return undefined;
}

const UTF8 = new Set(['utf-8', 'utf8']);

/** The text of a JSON body, or why it is refused: UTF-8 only, strictly decoded, then the shape scan (before any parser builds anything). */
export function jsonBodyText(bytes: Buffer, contentType: string | undefined): { text: string } | JsonBodyRefusal {
  const charset = declaredCharset(contentType);
  if (charset !== undefined && !UTF8.has(charset)) {
    return {
      refused: 'unsupported-charset',
      message: `the body's charset is ${JSON.stringify(charset.slice(0, 40))}; JSON bodies are taken in UTF-8`,
      hint: 'send the body as UTF-8 (charset=utf-8, or no charset)',
    };
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { refused: 'not-utf8', message: 'the request body is not UTF-8', hint: 'send the body as UTF-8 JSON' };
  }
  const tooComplex = jsonShapeRefusal(text);
  if (tooComplex !== undefined) return { refused: 'too-complex', message: tooComplex, hint: JSON_SHAPE_HINT };
  return { text };
}

/**
 * Read a JSON body's text within `limit` (readBody), checked by jsonBodyText: `{ text }` or the
 * refusal. A compressed body is refused (its inflated size and shape would be checked only after
 * inflating). For an ingress whose codec parses the text itself (the console's ACL JSON).
 */
export async function readJsonText(req: IncomingMessage, limit: BodyLimit, idleMs: number): Promise<{ text: string } | JsonBodyRefusal> {
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity') {
    return {
      refused: 'unsupported-encoding',
      message: `the body's content-encoding is ${JSON.stringify(encoding.slice(0, 40))}; bodies are taken uncompressed`,
      hint: 'send the body uncompressed (no Content-Encoding)',
    };
  }
  let bytes: Buffer;
  try {
    bytes = await readBody(req, limit, idleMs);
  } catch (err) {
    const e = err as { code?: unknown; message?: unknown; hint?: unknown };
    const message = typeof e?.message === 'string' ? e.message : 'the request body could not be read';
    const hint = typeof e?.hint === 'string' ? e.hint : 'send the request again';
    return { refused: e?.code === 'console.body-too-large' ? 'too-large' : 'unreadable', message, hint, cause: err };
  }
  return jsonBodyText(bytes, req.headers['content-type']);
}

/** Read, check and parse a JSON body: `{ body }` (undefined for an empty body) or the refusal. */
export async function readJsonBody(req: IncomingMessage, limit: BodyLimit, idleMs: number): Promise<{ body: unknown } | JsonBodyRefusal> {
  const read = await readJsonText(req, limit, idleMs);
  if (!('text' in read)) return read;
  if (read.text.length === 0) return { body: undefined };
  try {
    // Core's parser: native JSON.parse on Node 24 can rename an escaped key after another tenant's parse (decision 1820).
    return { body: parseJson(read.text) };
  } catch {
    return { refused: 'not-json', message: 'the request body is not JSON', hint: 'send one JSON value as application/json in UTF-8' };
  }
}
