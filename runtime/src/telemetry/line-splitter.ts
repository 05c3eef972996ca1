/**
 * Whole lines out of a stream's writes, for the two taps on the node's own streams
 * (`--log-format json`, json-log.ts; node lines over OTLP, node-log-export.ts): a write may end
 * mid-line or mid-character, so the partial line is held until its newline, bytes are decoded across
 * writes (a character split between two chunks is read whole), a string written with another
 * encoding is read in it, and the held text is bounded — a writer that never ends its line gives it
 * up as a line of its own rather than growing it.
 */
import { StringDecoder } from 'node:string_decoder';

export class LineSplitter {
  private held = '';
  private readonly decoder = new StringDecoder('utf8');

  constructor(private readonly maxHeldBytes: number) {}

  /** The whole lines this write completes (without their newlines), in order. */
  push(chunk: string | Uint8Array, encoding?: BufferEncoding): string[] {
    const text =
      typeof chunk === 'string'
        ? encoding !== undefined && encoding !== 'utf8' && encoding !== 'utf-8'
          ? Buffer.from(chunk, encoding).toString('utf8')
          : chunk
        : this.decoder.write(Buffer.from(chunk));
    const parts = (this.held + text).split('\n');
    this.held = parts.pop() ?? '';
    if (Buffer.byteLength(this.held) > this.maxHeldBytes) {
      parts.push(this.held);
      this.held = '';
    }
    return parts;
  }

  /** The partial line still held (at the tap's end), or undefined. */
  flush(): string | undefined {
    const rest = this.held + this.decoder.end();
    this.held = '';
    return rest === '' ? undefined : rest;
  }
}
