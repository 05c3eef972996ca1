/**
 * `caxton tail` as a background process. The stream has no "subscribed" signal, so readiness is
 * proven the way a user would check it: send probes until one shows up in the tail.
 */

import { spawnCaxton } from './cli.js';
import type { Finished, Proc } from './processes.js';
import type { Serve } from './serve.js';
import type { MessageEvent } from '@caxton/core';

/** `caxton tail --json` prints one MessageEvent per line. */
export type TailEvent = MessageEvent;

export class Tail {
  readonly proc: Proc;
  private parsed: TailEvent[] = [];
  private parsedUpTo = 0;

  constructor(
    serve: Serve,
    args: string[],
    readonly json: boolean,
  ) {
    this.proc = spawnCaxton(['tail', ...(json ? ['--json'] : []), ...args, ...serve.conn], { timeoutMs: 30 * 60_000 });
  }

  /** Complete NDJSON lines so far (json mode), parsed once each: bursts put thousands on the tail. */
  events(): readonly TailEvent[] {
    const out = this.proc.stdout;
    let nl: number;
    while ((nl = out.indexOf('\n', this.parsedUpTo)) >= 0) {
      const line = out.slice(this.parsedUpTo, nl);
      this.parsedUpTo = nl + 1;
      if (line.trim() !== '') this.parsed.push(JSON.parse(line) as TailEvent);
    }
    return this.parsed;
  }

  lines(): string[] {
    return this.proc.stdout.split('\n').filter((l) => l !== '');
  }

  waitFor(test: (t: Tail) => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    return this.proc.waitFor(() => test(this), what, timeoutMs);
  }

  /**
   * Calls `probe(n)` every 500 ms until `seen(n)` holds for a probe sent so far: from then on the
   * subscription is live and every later message is shown.
   */
  async ready(probe: (n: number) => Promise<void>, seen: (t: Tail, n: number) => boolean, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (let n = 0; ; n++) {
      await probe(n);
      const until = Date.now() + 500;
      while (Date.now() < until) {
        for (let k = 0; k <= n; k++) if (seen(this, k)) return;
        if (!this.proc.running) throw new Error(`caxton tail exited: ${this.proc.stderr}`);
        await new Promise((r) => setTimeout(r, 25));
      }
      if (Date.now() > deadline) throw new Error(`caxton tail showed none of ${n + 1} probes within ${timeoutMs} ms\n${this.proc.stderr}`);
    }
  }

  /** Ctrl-C: the documented way to stop following (exit 0). */
  stop(): Promise<Finished> {
    return this.proc.stop();
  }
}
