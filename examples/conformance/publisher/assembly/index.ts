// TEST AGENT: a fipa-subscribe participant. It agrees to every subscribe and informs every
// subscriber "tick <n>" every `period-ms` while it has subscribers. A cancel is confirmed with
// inform ("subscription cancelled").
//
//   config period-ms  tick period (default 50)
//          stubborn   "true": confirm the cancel but keep informing the cancelled subscriber — a
//                     misbehaving publisher; the runtime must keep those informs from the subscriber
import {
  Agent, AclMessage, InitContext, Performative, SubscriptionTable, register, reply, setTimer, info,
} from "@caxton/sdk-assemblyscript";

let periodMs: u32 = 50;
let stubborn = false;
let ticking = false;
let tick: i32 = 0;
const table = new SubscriptionTable();

function arm(): void {
  if (ticking) return;
  ticking = true;
  setTimer(periodMs, "tick");
}

class Publisher extends Agent {
  onInit(ctx: InitContext): void {
    const p = ctx.get("period-ms");
    if (p !== null) periodMs = <u32>I32.parseInt(p);
    const s = ctx.get("stubborn");
    stubborn = s !== null && s == "true";
  }

  onMessage(msg: AclMessage): void {
    if (msg.performative == Performative.Subscribe) {
      table.add(msg, "subscribed");
      arm();
    } else if (msg.performative == Performative.Cancel) {
      if (stubborn) reply(msg, Performative.Inform, "subscription cancelled");
      else table.cancel(msg);
    } else {
      info("got " + (msg.content !== null ? msg.content! : "-") + " (" + (msg.param("X-caxton-code") !== null ? msg.param("X-caxton-code")! : "") + ")");
    }
  }

  onTimer(token: string): void {
    if (token != "tick") return;
    ticking = false;
    if (table.size == 0) return;
    tick++;
    table.notify("tick " + tick.toString());
    arm();
  }
}

register(new Publisher());

export * from "@caxton/sdk-assemblyscript/exports";
