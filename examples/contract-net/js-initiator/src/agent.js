// Contract-net initiator, driven by fipa-request:
//
//   someone --request "<task>"--> initiator
//     initiator: search-services(<service-type>) -> N contractors
//       none found      -> refuse
//       else            -> agree, cfp(task, reply-by = now + deadline-ms) to all N
//     propose/refuse until everyone answered or the deadline timer fires, then
//       no proposals    -> failure to the requester
//       else            -> accept-proposal to the cheapest, reject-proposal to the rest
//     winner's inform-result -> inform (result) to the requester; winner's failure -> failure
//
// Config: service-type (default "delivery"), deadline-ms (default 1000); topic (optional): call
// for proposals from the subscribers of that topic (receiver `topic:<topic>`, decision 1961)
// instead of the agents the directory names, and decide at the deadline.
import {
  defineAgent, configValue, searchServices, agree, refuse, failure, informResult, notUnderstood,
  ContractNetInitiator, bestProposal, log,
} from '@caxton/sdk-js';

const cnet = new ContractNetInitiator();
let serviceType = 'delivery';
let deadlineMs = 1000;
let topic;

function decide(round) {
  const requester = round.data;
  if (round.state === 'no-bids') {
    failure(requester, `no proposals for: ${round.task}`);
    return;
  }
  // Proposals carry a price; the cheapest valid one wins.
  const winner = bestProposal(round, (p) => -Number.parseFloat(p.content ?? ''));
  if (!winner) {
    cnet.rejectAll(round, 'no valid price');
    failure(requester, `no valid proposal for: ${round.task}`);
    return;
  }
  log('info', `awarding "${round.task}" to ${winner.sender.name} at ${winner.content} (${round.proposals.length} bids, ${round.refusals.length} refusals)`);
  cnet.award(round, winner);
}

export const guest = defineAgent({
  init() {
    serviceType = configValue('service-type') ?? serviceType;
    topic = configValue('topic');
    const d = configValue('deadline-ms');
    if (d !== undefined) {
      deadlineMs = Number(d);
      if (!Number.isInteger(deadlineMs) || deadlineMs <= 0) throw new Error(`deadline-ms must be a positive integer, got ${d}`);
    }
  },

  onMessage(msg) {
    const seen = cnet.handle(msg);
    if (seen) {
      const { round, event } = seen;
      if (event === 'ready') decide(round);
      else if (event === 'result') informResult(round.data, round.result.content ?? 'done');
      else if (event === 'failure') failure(round.data, `contractor failed: ${round.result.content ?? ''}`);
      return;
    }
    if (msg.performative === 'request') {
      const task = msg.content ?? '';
      if (topic !== undefined) {
        agree(msg, `calling for proposals on topic ${topic}`);
        cnet.start({ task, contractors: [`topic:${topic}`], timeoutMs: deadlineMs, data: msg });
        return;
      }
      const contractors = searchServices(serviceType);
      if (contractors.length === 0) return refuse(msg, `no ${serviceType} contractors registered`);
      agree(msg, `calling for proposals from ${contractors.length} contractors`);
      cnet.start({ task, contractors, timeoutMs: deadlineMs, data: msg });
      return;
    }
    if (msg.performative !== 'not-understood' && msg.performative !== 'failure' && msg.performative !== 'inform') {
      notUnderstood(msg, 'send a request with the task as content');
    }
  },

  onTimer(token) {
    const round = cnet.onTimer(token);
    if (round) decide(round);
  },
});
