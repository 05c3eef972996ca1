/**
 * A clock that stands still until told to move (`caxton test`, decision 2030): given to a node as
 * its `busClock`, so agent timers fall due when a scenario says and never by the real time a slow
 * machine took.
 *
 * `advance(ms)` is "ms pass": once what is in flight settled, it steps through the due times of the timers waiting on the node
 * (and the protocol deadlines pending on its bus), in due order, and lets each round's handlings finish before the next, so a timer due at +10 s fires
 * before one due at +20 s whatever order they were set in, and a 10 s timer re-armed by its
 * handling fires 6 times in `advance(60_000)`. The rounds are bounded (`maxRounds`): a 1 ms timer
 * re-armed every time, over a year, is refused before it starts looping, not run for hours.
 */
import { CaxtonError } from '@caxton/core';

/** What the clock moves: a running node (`RunningNode`), or its AgentTimers in a test. */
export interface ClockedTimers {
  /**
   * What is being handled finishes, its effects applied: a handling's reply can be seen before the
   * timers it set are (they are set after its commit point), and a clock moved in between would
   * pass a timer not yet waiting, which then waits from the moved clock.
   */
  settle(): Promise<void>;
  /** The clock moved: fire what is due now; resolves once those handlings are done. */
  clockMoved(): Promise<void>;
  /** The earliest due time of the timers still waiting, if any. */
  nextTimerDue(): number | undefined;
}

/** Rounds of due timers one `advance` runs at most (a 10 s timer over a day is 8,640). */
export const MAX_ADVANCE_ROUNDS = 10_000;

/** An advance would fire more rounds of timers than MAX_ADVANCE_ROUNDS. */
export class AdvanceTooLongError extends CaxtonError {
  constructor(ms: number, rounds: number, reachedMs: number) {
    super('node.advance-too-long', `moving the clock ${ms} ms fires timers in more than ${rounds} rounds (stopped ${reachedMs} ms in)`, {
      kind: 'resource-exhausted',
      context: { advanceMs: ms, rounds, reachedMs },
      hint: 'an agent re-arms a short timer on every firing; advance by less, or give the timer a longer period',
    });
  }
}

export class VirtualClock {
  private time: number;

  constructor(
    start: number,
    private readonly maxRounds = MAX_ADVANCE_ROUNDS,
  ) {
    this.time = start;
  }

  /** The clock's time (ms since epoch): pass as `busClock`. */
  readonly now = (): number => this.time;

  /**
   * Moves the clock `ms` forward through every due time of `timers` on the way (see the file
   * comment). Resolves at `now + ms` once the timers due there were handled; rejects with
   * AdvanceTooLongError, the clock where the last round left it, if the rounds do not end.
   */
  async advance(ms: number, timers: ClockedTimers): Promise<void> {
    const start = this.time;
    const target = start + ms;
    for (let rounds = 0; ; rounds++) {
      await timers.settle();
      const due = timers.nextTimerDue();
      if (due === undefined || due > target) break;
      if (rounds >= this.maxRounds) throw new AdvanceTooLongError(ms, this.maxRounds, this.time - start);
      this.time = Math.max(this.time, due);
      await timers.clockMoved();
    }
    this.time = target;
    await timers.clockMoved();
  }
}
