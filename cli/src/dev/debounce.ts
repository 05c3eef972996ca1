/**
 * The two timing rules of `caxton dev`'s watch: a burst of file events (an editor's save writes,
 * renames and touches several files) becomes one rebuild after the files have been quiet for a
 * while, and rebuilds never overlap — a save during a build asks for exactly one more build after
 * it, however many saves there were. Pure: the timer functions are given, so tests drive them.
 */

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const REAL_TIMERS: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface Debounced {
  /** Restarts the quiet period; `fn` runs once it elapses without another trigger. */
  trigger(): void;
  cancel(): void;
  readonly pending: boolean;
}

export function debounce(fn: () => void, quietMs: number, timers: Timers = REAL_TIMERS): Debounced {
  if (!(quietMs >= 0)) throw new RangeError(`quiet period must be ≥ 0 ms, got ${quietMs}`);
  let handle: unknown;
  let pending = false;
  const cancel = (): void => {
    if (pending) timers.clearTimeout(handle);
    pending = false;
  };
  return {
    trigger() {
      cancel();
      pending = true;
      handle = timers.setTimeout(() => {
        pending = false;
        fn();
      }, quietMs);
    },
    cancel,
    get pending() {
      return pending;
    },
  };
}

/**
 * Runs `job` one at a time. `request()` while a run is under way marks one more run to follow it
 * (requests coalesce); a failing run is reported to `onError` and does not stop later runs.
 */
export class SerialRuns {
  private running: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly job: () => Promise<void>,
    private readonly onError: (err: unknown) => void,
  ) {}

  request(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop();
  }

  /** Resolves when no run is under way or queued (for a clean stop). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async loop(): Promise<void> {
    try {
      do {
        this.again = false;
        try {
          await this.job();
        } catch (err) {
          this.onError(err);
        }
      } while (this.again);
    } finally {
      this.running = undefined;
    }
  }
}
