// TEST AGENT: reads the receivers of each message it handles through caxton:agent/message-info
// (decision 2001) and logs what it sees, one line each:
//   got self=<names in msg.receivers> param=<X-caxton-receivers or -> count=<receiver-count> countOf=<n>
//   all=<n> first=<name> last=<name>        the whole list, paged 256 at a time
//   page <offset> <limit>: ok <n> | <kind>: <message>   hostile and edge pages
// In init it logs "init count=<n> page: <kind>" (no message is being handled there).
import {
  Agent, AclMessage, InitContext, register, info, MessageInfo, ReceiversPage, messageInfoErrorKindName,
  RECEIVER_COUNT_PARAM,
} from "@caxton/sdk-assemblyscript";

function pageLine(offset: u32, limit: u32): string {
  const p: ReceiversPage = MessageInfo.receivers(offset, limit);
  const head = "page " + offset.toString() + " " + limit.toString() + ": ";
  if (p.error !== null) return head + messageInfoErrorKindName(p.error!.kind) + ": " + p.error!.message;
  return head + "ok " + p.receivers.length.toString();
}

class ReceiversProbe extends Agent {
  onInit(_ctx: InitContext): void {
    const p = MessageInfo.receivers(0, 1);
    info("init count=" + MessageInfo.receiverCount().toString() + " page: " + (p.error === null ? "ok" : messageInfoErrorKindName(p.error!.kind)));
  }

  onMessage(msg: AclMessage): void {
    const names = new Array<string>(0);
    for (let i = 0; i < msg.receivers.length; i++) names.push(msg.receivers[i].name);
    const param = msg.param(RECEIVER_COUNT_PARAM);
    const count = MessageInfo.receiverCount();
    info("got self=" + names.join(",") + " param=" + (param === null ? "-" : param!) + " count=" + count.toString() +
      " countOf=" + MessageInfo.countOf(msg).toString());
    const all = MessageInfo.allReceivers();
    info("all=" + all.length.toString() + (all.length > 0 ? " first=" + all[0].name + " last=" + all[all.length - 1].name : ""));
    info(pageLine(0, 0));
    info(pageLine(0, 257));
    info(pageLine(count + 1, 1));
    info(pageLine(0xffffffff, 0xffffffff));
    info(pageLine(count, 1));
    info(pageLine(count > 0 ? count - 1 : 0, 256));
  }
}

register(new ReceiversProbe());
export * from "@caxton/sdk-assemblyscript/exports";
