// A directory-advertised service: on init it registers one service of type `service-type`
// (default "shout") speaking fipa-request; a `request` is answered with `inform` carrying the
// content upper-cased, an empty request is refused, anything else is not understood.
// It is what `caxton serve --mcp` exposes as a tool (docs/interop.md).
import {
  Agent, AclMessage, InitContext, Performative, ServiceDescription, register,
  registerService, reply, refuse, notUnderstood, fail, REQUEST,
} from "@caxton/sdk-assemblyscript";

class Shouter extends Agent {
  onInit(ctx: InitContext): void {
    const typeCfg = ctx.get("service-type");
    const type = typeCfg !== null ? typeCfg : "shout";
    const err = registerService(new ServiceDescription(ctx.self.name + "/" + type, type, [REQUEST], [], [], []));
    if (err !== null) fail("cannot register service: " + err);
  }

  onMessage(msg: AclMessage): void {
    if (msg.performative != Performative.Request) {
      if (msg.performative != Performative.NotUnderstood) notUnderstood(msg, "I only answer requests");
      return;
    }
    const content = msg.content !== null ? msg.content! : "";
    if (content.length == 0) {
      refuse(msg, "nothing to shout");
      return;
    }
    reply(msg, Performative.Inform, content.toUpperCase());
  }
}

register(new Shouter());

export * from "@caxton/sdk-assemblyscript/exports";
