// {{name}}: answers every message with an `inform` carrying the same content.
// Build: caxton build .   Deploy: caxton deploy . --name {{name}}   Try: caxton send {{name}} request hello
import { defineAgent, reply } from '@caxton/sdk-js';

export const guest = defineAgent({
  onMessage(msg) {
    reply(msg, 'inform', msg.content);
  },
});
