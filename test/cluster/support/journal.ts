/**
 * Reads the journals instrumented nodes write (node-child.ts), incrementally: what each node's
 * probes reported (their own observations) and which completions each node recorded.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';

/** One request as a probe instance saw it (examples/cluster/probe). */
export interface Observation {
  /** The request content: `<agent>:<seq>`. */
  key: string;
  agent: string;
  seq: number;
  /** Node the instance says it runs on (its AID address `caxton://<node>`). */
  node: string;
  instance: string;
  /** The instance's own count of handled requests. */
  n: number;
  /** The instance's clock when handling (ms). */
  at: number;
  /** Node whose journal recorded it (where the reply was sent from). */
  journal: string;
  /** With the probe's `state=1`: its durable count after this request. */
  count?: number;
}

/** One inform to the operator as a node's journal recorded it, whatever its content (a pinger's `done <chain>`). */
export interface Report {
  messageId: string;
  content: string;
  journal: string;
}

export class Journal {
  readonly observations: Observation[] = [];
  /** Every inform to the operator, in the order recorded (a repeated handling's same message shows twice, with one id). */
  readonly reports: Report[] = [];
  /** Delivery id → when this node recorded its completion. */
  readonly completions = new Map<string, number>();
  /** Delivery ids this node wrote a dead letter for, one entry per letter (a second letter shows twice). */
  readonly deadLetters: string[] = [];
  private offset = 0;
  private rest = '';

  constructor(
    readonly nodeId: string,
    readonly file: string,
  ) {}

  /** Reads what was appended since the last call. */
  refresh(): this {
    let size: number;
    try {
      size = statSync(this.file).size;
    } catch {
      return this; // not created yet
    }
    if (size <= this.offset) return this;
    const fd = openSync(this.file, 'r');
    try {
      const buf = Buffer.alloc(size - this.offset);
      const n = readSync(fd, buf, 0, buf.length, this.offset);
      this.offset += n;
      const text = this.rest + buf.subarray(0, n).toString('utf8');
      const lines = text.split('\n');
      this.rest = lines.pop() ?? '';
      for (const line of lines) this.parse(line);
    } finally {
      closeSync(fd);
    }
    return this;
  }

  private parse(line: string): void {
    if (line.startsWith('R ')) {
      // `R <ms> <message id> <content>`: the content is what follows the id.
      const space = line.indexOf(' ', line.indexOf(' ', 2) + 1);
      const id = line.slice(line.indexOf(' ', 2) + 1, space);
      this.reports.push({ messageId: id, content: line.slice(space + 1), journal: this.nodeId });
      const [key, node, instance, n, at, count] = line.slice(space + 1).split('|');
      if (!key || !node || !instance || !n || !at) return;
      const colon = key.lastIndexOf(':');
      this.observations.push({
        key,
        agent: key.slice(0, colon),
        seq: Number(key.slice(colon + 1)),
        node: node.replace(/^caxton:\/\//, ''),
        instance,
        n: Number(n),
        at: Number(at),
        journal: this.nodeId,
        ...(count !== undefined ? { count: Number(count) } : {}),
      });
    } else if (line.startsWith('C ')) {
      const [, at, ...ids] = line.split(' ');
      for (const id of ids) this.completions.set(id, Number(at));
    } else if (line.startsWith('D ')) {
      const id = line.split(' ')[2];
      if (id) this.deadLetters.push(id);
    }
  }
}
