/**
 * The A2A endpoint's bound on tasks waiting for answers (decision 1950), as slots taken when a
 * send is authorized, before the SDK reads the call: the SDK awaits the user builder and a task
 * store load before it runs the executor, so a count of running tasks checked at the door lets a
 * burst through. A slot is released exactly once: by its task's execution when it ends, or, if no
 * execution claimed it, when the request fails or its response finishes or closes.
 */
export class InFlightSlot {
  private state: 'reserved' | 'claimed' | 'released' = 'reserved';

  constructor(private readonly free: () => void) {}

  /** The task's execution takes the slot: from now only its end releases it. False when the request already gave it back. */
  claim(): boolean {
    if (this.state !== 'reserved') return false;
    this.state = 'claimed';
    return true;
  }

  /** The request is over (failed, finished, closed): the slot goes back unless an execution holds it. */
  requestEnded(): void {
    if (this.state === 'reserved') this.release();
  }

  /** Gives the slot back; once only, whoever calls. */
  release(): void {
    if (this.state === 'released') return;
    this.state = 'released';
    this.free();
  }
}

export class InFlightSlots {
  private used = 0;

  constructor(readonly max: number) {}

  get inUse(): number {
    return this.used;
  }

  /** A slot, or undefined when all `max` are taken. */
  tryReserve(): InFlightSlot | undefined {
    if (this.used >= this.max) return undefined;
    this.used += 1;
    return new InFlightSlot(() => {
      this.used -= 1;
    });
  }
}
