// A directory-advertised service, the JavaScript twin of examples/as-service: on init it registers
// one service of type `service-type` (default "shout") speaking fipa-request; a `request` is
// answered with `inform` carrying the content upper-cased, an empty request is refused, anything
// else is not understood. It is what `caxton serve --mcp` exposes as a tool (docs/interop.md).
import { defineAgent, configValue, registerService, reply, refuse, notUnderstood, REQUEST } from '@caxton/sdk-js';

export const guest = defineAgent({
  init(ctx) {
    const type = configValue('service-type') ?? 'shout';
    registerService({ name: `${ctx.self.name}/${type}`, type, protocols: [REQUEST] });
  },

  onMessage(msg) {
    if (msg.performative !== 'request') {
      if (msg.performative !== 'not-understood') notUnderstood(msg, 'I only answer requests');
      return;
    }
    const content = msg.content ?? '';
    if (content.length === 0) {
      refuse(msg, 'nothing to shout');
      return;
    }
    reply(msg, 'inform', content.toUpperCase());
  },
});
