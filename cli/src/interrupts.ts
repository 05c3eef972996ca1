/**
 * Ctrl-C for the commands that run until stopped (`serve`, `dev`): the first asks for a clean stop,
 * said on stderr; a second, while that stop is under way, leaves at once without cleaning up.
 */
import type { CommandContext } from './context.js';
import { EXIT } from './exit-codes.js';

/** Listen for Ctrl-C: the first calls `stop` after saying `stopping`; the second exits. Returns the unlisten. */
export function onInterrupts(ctx: CommandContext, stopping: string, stop: () => void): () => void {
  let interrupts = 0;
  return ctx.io.onInterrupt(() => {
    interrupts++;
    if (interrupts > 1) {
      // The stop did not end in time and the user insists.
      ctx.note('caxton: stopping immediately');
      process.exit(EXIT.INTERRUPTED);
    }
    ctx.note(stopping);
    stop();
  });
}
