/**
 * Running a server stream from the CLI until it ends, the user presses Ctrl-C (a normal way to
 * stop following: exit 0), or `stopAfter` values arrived.
 */
import type { StreamHandle } from '@caxton/client';
import type { CommandContext } from '../context.js';

export async function follow<T>(
  ctx: CommandContext,
  open: (onValue: (value: T) => void) => StreamHandle,
  print: (value: T) => void,
  stopAfter?: number,
): Promise<void> {
  let seen = 0;
  let handle: StreamHandle | undefined;
  const onValue = (value: T): void => {
    if (stopAfter !== undefined && seen >= stopAfter) return;
    seen++;
    print(value);
    if (stopAfter !== undefined && seen >= stopAfter) handle?.cancel();
  };
  handle = open(onValue);
  const stopListening = ctx.io.onInterrupt(() => handle?.cancel());
  try {
    await handle.done;
  } finally {
    stopListening();
  }
}
