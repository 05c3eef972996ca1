// Contract-net contractor (participant role of fipa-contract-net), the JavaScript twin of
// examples/contract-net/as-contractor: the same config and the same answers.
//
// On init it registers a service of type `service-type` (default "delivery"). On a cfp it either
// refuses (config `decline` = "true") or proposes its price: config `price`, else a stable
// per-agent price derived from its name. On accept-proposal it performs the task and answers
// inform-result (or failure when config `fail-on-award` = "true"); reject-proposal is logged.
// With config `topic` it also subscribes to that topic at init (decision 1961), taking only its
// cfps (a content filter), so an initiator can call for proposals with the receiver `topic:<topic>`.
import { topics } from '@caxton/sdk-js/topics';
import {
  defineAgent, self, configValue, registerService, propose, refuse, informResult, failure,
  notUnderstood, log, CONTRACT_NET,
} from '@caxton/sdk-js';

/** FNV-1a over UTF-16 code units (as the AssemblyScript contractor): 10..99 from the name. */
function stablePrice(name) {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 16777619) >>> 0;
  }
  return 10 + (h % 90);
}

const formatPrice = (p) => (Number.isInteger(p) ? String(p) : String(p));

let price = 0;
let decline = false;
let failOnAward = false;

export const guest = defineAgent({
  init(ctx) {
    const configured = configValue('price');
    price = configured !== undefined ? Number.parseFloat(configured) : stablePrice(ctx.self.name);
    if (!Number.isFinite(price) || price < 0) throw new Error('config price must be a non-negative number');
    decline = configValue('decline') === 'true';
    failOnAward = configValue('fail-on-award') === 'true';
    const type = configValue('service-type') ?? 'delivery';
    registerService({
      name: `${ctx.self.name}/${type}`, type, protocols: [CONTRACT_NET],
      properties: [['price', formatPrice(price)]],
    });
    const topic = configValue('topic');
    if (topic !== undefined) topics.subscribe(topic, { all: [{ field: 'performative', match: { equals: 'cfp' } }] });
  },
  onMessage(msg) {
    const task = msg.content ?? '';
    switch (msg.performative) {
      case 'cfp':
        if (decline) refuse(msg, 'not taking work');
        else if (!propose(msg, formatPrice(price))) log('info', `ignored an expired cfp: ${task}`);
        break;
      case 'accept-proposal':
        if (failOnAward) failure(msg, `could not perform ${task}`);
        else informResult(msg, `done: ${task} by ${self().name} for ${formatPrice(price)}`);
        break;
      case 'reject-proposal':
        log('info', `lost the bid for ${task}`);
        break;
      case 'not-understood':
      case 'failure':
        break;
      default:
        notUnderstood(msg, 'I only take part in fipa-contract-net');
    }
  },
});
