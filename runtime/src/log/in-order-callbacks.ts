/**
 * The callbacks a log's in-order append or completion takes (`MessageLog.appendInOrder`,
 * `completeInOrder`): told once, in call order, when what they wait on is written or has failed.
 */
export type InOrderCallback = (error: unknown) => void;

/**
 * Tells each callback `error` (undefined when written), in order. A callback must not throw; if
 * one does anyway, it neither stops the callbacks after it nor the log (what they wait on is
 * written already): it surfaces as an uncaught error on a later microtask, as an unhandled
 * rejection of the log's promise would have.
 */
export function callEachInOrder(callbacks: readonly InOrderCallback[], error: unknown): void {
  for (let i = 0; i < callbacks.length; i++) {
    const then = callbacks[i]!;
    try {
      then(error);
    } catch (thrown) {
      queueMicrotask(() => {
        throw thrown;
      });
    }
  }
}
