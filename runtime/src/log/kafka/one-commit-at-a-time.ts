/**
 * kafkajs' commitOffsets() goes on retrying after we stop waiting for it: an offset commit
 * abandoned at its deadline can still reach the coordinator after a newer one did, and move the
 * group's committed offset back (records handled again after a restart, metadata naming an older
 * pending set). So a commit is only started once the previous one has settled; while the previous
 * one still runs, the new one fails as a timeout would, and its caller (the commit queue) retries.
 * The price: while kafkajs still retries an abandoned commit (its own retries, each up to the
 * request timeout plus backoff: minutes at worst, client.ts), no new commit is sent; completions
 * whose state is durable are completed by their markers meanwhile (decision 1602), the rest wait.
 */
import { withTimeout } from './client.js';

export class OneCommitAtATime {
  /** The last started commit, settled either way; undefined once it has settled. */
  private previous: Promise<void> | undefined;

  /**
   * Starts `start()` once the previous commit settled (failing as a timeout would if it does not
   * within `timeoutMs`), and only while `current()` still holds: a commit snapshotted under an
   * assignment that changed while it waited is not sent (the caller takes a new snapshot).
   */
  async run(start: () => Promise<unknown>, timeoutMs: number, what: string, current: () => boolean = () => true): Promise<void> {
    if (this.previous !== undefined) await withTimeout(this.previous, timeoutMs, `the previous ${what} (still unsettled)`);
    if (!current()) throw new Error(`the group rebalanced before the ${what} was sent`);
    const commit = start();
    const settled = commit.then(
      () => undefined,
      () => undefined,
    );
    this.previous = settled;
    void settled.then(() => {
      if (this.previous === settled) this.previous = undefined;
    });
    await withTimeout(commit, timeoutMs, what);
  }
}
