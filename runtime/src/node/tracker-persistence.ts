/**
 * Keeps the protocol tracker's conversations across restarts: without them, every reply in a
 * conversation opened before a restart would be refused as out of sequence. The snapshot is written
 * (atomically: temp file + rename) a moment after conversations change and at shutdown, and read at
 * start. A kill -9 loses at most the last `intervalMs` of protocol state: replies to conversations
 * opened in that window are then judged as unknown (not-understood), never silently dropped.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { ConversationTracker, type TrackerOptions } from '@caxton/core';
import type { AclMessage } from '@caxton/core';

type Snapshot = ReturnType<ConversationTracker['snapshot']>;

/** What the node's protocol gates use of a tracker (a PersistedTracker or the tracker itself). */
export type ConversationGate = Pick<ConversationTracker, 'observe' | 'expire' | 'nextDeadline' | 'inspect' | 'nonParticipants'>;

export function loadTracker(file: string, options: TrackerOptions, warn: (message: string) => void): ConversationTracker {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return new ConversationTracker(options); // first start
  }
  try {
    return ConversationTracker.restore(options, JSON.parse(text) as Snapshot);
  } catch (err) {
    const aside = `${file}.corrupt-${Date.now()}`;
    try {
      renameSync(file, aside);
    } catch {
      // nothing more to do: we start fresh either way
    }
    warn(
      `protocol state in ${file} could not be read (${(err as Error).message}); starting with no open conversations (moved it to ${aside})`,
    );
    return new ConversationTracker(options);
  }
}

/** Wraps the tracker the bus calls, marking it dirty on every change and saving in the background. */
export class PersistedTracker implements ConversationGate {
  private dirty = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    readonly tracker: ConversationTracker,
    private readonly file: string,
    intervalMs = 1000,
  ) {
    this.timer = setInterval(() => this.save(), intervalMs);
    this.timer.unref();
  }

  observe(msg: AclMessage, now: number): ReturnType<ConversationTracker['observe']> {
    this.dirty = true;
    return this.tracker.observe(msg, now);
  }

  nonParticipants(msg: AclMessage): readonly string[] {
    return this.tracker.nonParticipants(msg);
  }

  expire(now: number): AclMessage[] {
    const out = this.tracker.expire(now);
    if (out.length > 0) this.dirty = true;
    return out;
  }

  nextDeadline(): number | undefined {
    return this.tracker.nextDeadline();
  }

  inspect(initiator: string, conversationId: string): ReturnType<ConversationTracker['inspect']> {
    return this.tracker.inspect(initiator, conversationId);
  }

  save(): void {
    if (!this.dirty) return;
    this.dirty = false;
    const tmp = `${this.file}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify(this.tracker.snapshot()));
      renameSync(tmp, this.file);
    } catch {
      this.dirty = true; // try again next tick (e.g. disk full for a moment)
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.save();
  }
}
