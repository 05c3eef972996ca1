// TEST AGENT: the JavaScript twin of conformance/receivers-probe (decision 2001); logs the same lines:
//   got self=<names in msg.receivers> param=<X-caxton-receivers or -> count=<receiver-count> countOf=<n>
//   all=<n> first=<name> last=<name>
//   page <offset> <limit>: ok <n> | <kind>: <message>
//   replica <n> self=<names> (when scaled, decision 2010: which instance saw what)
//   detached all=<n> (allReceivers called without its object), then pages outside u32 (-1, 1.5)
// and in init "init count=<n> page: <kind>".
import { configValue, defineAgent, log, param, receiverCount } from '@caxton/sdk-js';
import { messageInfo } from '@caxton/sdk-js/message-info';

function pageLine(offset, limit) {
  const head = `page ${offset} ${limit}: `;
  try {
    return `${head}ok ${messageInfo.receivers(offset, limit).length}`;
  } catch (e) {
    return `${head}${e.kind}: ${e.reason}`;
  }
}

export const guest = defineAgent({
  init() {
    let kind = 'ok';
    try {
      messageInfo.receivers(0, 1);
    } catch (e) {
      kind = e.kind;
    }
    log('info', `init count=${messageInfo.receiverCount()} page: ${kind}`);
  },
  onMessage(msg) {
    const count = messageInfo.receiverCount();
    log('info', `got self=${msg.receivers.map((r) => r.name).join(',')} param=${param(msg, 'X-caxton-receivers') ?? '-'} count=${count} countOf=${receiverCount(msg)}`);
    const replica = configValue('caxton.replica');
    if (replica !== undefined) log('info', `replica ${replica} self=${msg.receivers.map((r) => r.name).join(',')}`);
    const all = messageInfo.allReceivers();
    log('info', `all=${all.length}${all.length > 0 ? ` first=${all[0].name} last=${all[all.length - 1].name}` : ''}`);
    const { allReceivers } = messageInfo;
    log('info', `detached all=${allReceivers().length}`);
    for (const [o, l] of [[0, 0], [0, 257], [count + 1, 1], [0xffffffff, 0xffffffff], [count, 1], [count > 0 ? count - 1 : 0, 256], [-1, 1], [0, 1.5]]) log('info', pageLine(o, l));
  },
});
