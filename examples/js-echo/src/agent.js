// Echo: answers every message with an `inform` carrying the same content.
import { defineAgent, reply } from '@caxton/sdk-js';

export const guest = defineAgent({
  onMessage(msg) {
    reply(msg, 'inform', msg.content);
  },
});
