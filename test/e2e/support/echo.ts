/** Talking to an echo agent through the real CLI, as the outside-project tests of every language do. */
import assert from 'node:assert/strict';
import { caxton, show } from './cli.js';
import type { Serve } from './serve.js';
import type { Tail } from './tail.js';

/** Sends requests until the agent's echo shows on the tail (the first also proves the tail is live). */
export async function expectEcho(tail: Tail, serve: Serve, name: string, greeting = 'hello'): Promise<void> {
  const content = `${greeting} ${name}`;
  await tail.ready(
    async (n) => {
      const sent = await caxton(['send', name, 'request', `${content} ${n}`, '-c', `conv-${name}-${n}`, ...serve.conn]);
      assert.equal(sent.code, 0, show(sent));
    },
    (t, n) =>
      t
        .events()
        .some(
          (e) =>
            e.message.performative === 'inform' &&
            e.message.sender?.name === `${name}@caxton` &&
            e.message.content === `${content} ${n}` &&
            e.message.conversationId === `conv-${name}-${n}`,
        ),
  );
}
