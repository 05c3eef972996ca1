// fipa-contract-net (SC00029), both roles.
//
// Initiator: `start` sends a cfp with reply-by to N contractors and arms a timer for the deadline;
// feed every incoming message to `handle` and every timer token to `onTimer`; when the round is
// `ready` (all answered, or the deadline passed) pick a winner and `award` it: accept-proposal to
// the winner, reject-proposal to every other bidder. Proposals arriving after the round closed are
// rejected automatically, as the protocol requires. The winner's inform/failure ends the round.
//
// Participant: answer a cfp with `propose` or `refuse`; on accept-proposal do the work and answer
// with informResult/informDone/failure from reply.js.
import { now, send, setTimer } from '../host.js';
import { initiate, reply } from '../reply.js';
import { isExpired } from '../message.js';

export const CONTRACT_NET = 'fipa-contract-net';
const TOKEN_PREFIX = 'contract-net-deadline:';
// Finished rounds are remembered (so late proposals still get their reject-proposal) up to this
// many; the oldest are forgotten first.
const KEEP_FINISHED = 256;

export class ContractNetInitiator {
  constructor() {
    /** conversation-id -> round (finished ones too, see KEEP_FINISHED) */
    this.rounds = new Map();
    this.finishedCount = 0;
  }

  /**
   * Calls for proposals. `contractors` are agent ids (or names); a `topic:<name>` receiver calls
   * every subscriber of the topic (decision 1961): such a round is open — any agent may answer, and
   * it is ready at its deadline, since nobody knows in advance how many will. Returns the round:
   * { conversationId, task, deadline, invited, proposals, refusals, state, winner, result, data }.
   * state: 'collecting' -> 'ready' (all answered / deadline) -> 'awarded' -> 'done' | 'failed';
   * or 'no-bids' when nobody proposed.
   */
  start({ task, contractors, timeoutMs, language = null, ontology = null, data = undefined }) {
    const deadline = now() + timeoutMs;
    const cfp = initiate('cfp', contractors, task, { protocol: CONTRACT_NET, replyBy: deadline, language, ontology });
    const round = {
      conversationId: cfp.conversationId,
      task,
      deadline,
      invited: cfp.receivers.map((r) => r.name),
      open: cfp.receivers.some((r) => r.name.startsWith('topic:')),
      proposals: [],
      refusals: [],
      state: 'collecting',
      winner: undefined,
      result: undefined,
      data,
    };
    if (round.invited.length === 0) {
      round.state = 'no-bids';
      return round;
    }
    this.rounds.set(round.conversationId, round);
    send(cfp);
    setTimer(timeoutMs, TOKEN_PREFIX + round.conversationId);
    return round;
  }

  /**
   * Feeds a message. Returns { round, event } when it belongs to one of our rounds, else undefined.
   * event: 'propose' | 'refuse' | 'ready' (last answer arrived) | 'late' (rejected automatically)
   *        | 'result' (winner's inform) | 'failure' (winner failed) | 'not-understood'.
   */
  handle(msg) {
    const round = msg.conversationId ? this.rounds.get(msg.conversationId) : undefined;
    if (!round || !msg.sender || (!round.open && !round.invited.includes(msg.sender.name))) return undefined;
    switch (msg.performative) {
      case 'propose':
      case 'refuse':
        if (round.state !== 'collecting') {
          if (msg.performative === 'propose') reply(msg, 'reject-proposal', 'too late');
          return { round, event: 'late' };
        }
        (msg.performative === 'propose' ? round.proposals : round.refusals).push(msg);
        if (!round.open && round.proposals.length + round.refusals.length === round.invited.length) {
          this.#close(round);
          return { round, event: 'ready' };
        }
        return { round, event: msg.performative };
      case 'inform':
      case 'failure':
        if (round.state !== 'awarded' || msg.sender.name !== round.winner?.sender?.name) return undefined;
        round.result = msg;
        round.state = msg.performative === 'inform' ? 'done' : 'failed';
        this.#finished(round);
        return { round, event: msg.performative === 'inform' ? 'result' : 'failure' };
      case 'not-understood':
        return { round, event: 'not-understood' };
      default:
        return undefined;
    }
  }

  /** Feeds a timer token. Returns the round when its deadline just closed it, else undefined. */
  onTimer(token) {
    if (!token.startsWith(TOKEN_PREFIX)) return undefined;
    const round = this.rounds.get(token.slice(TOKEN_PREFIX.length));
    if (!round || round.state !== 'collecting') return undefined;
    this.#close(round);
    return round;
  }

  #close(round) {
    round.state = round.proposals.length > 0 ? 'ready' : 'no-bids';
    if (round.state === 'no-bids') this.#finished(round);
  }

  #finished(round) {
    // Re-insert so the Map's insertion order is finishing order, then forget the oldest.
    this.rounds.delete(round.conversationId);
    this.rounds.set(round.conversationId, round);
    this.finishedCount++;
    if (this.finishedCount <= KEEP_FINISHED) return;
    for (const [id, r] of this.rounds) {
      if (r.state === 'done' || r.state === 'failed' || r.state === 'no-bids') {
        this.rounds.delete(id);
        this.finishedCount--;
        break;
      }
    }
  }

  /** Accepts `winner` (one of round.proposals) and rejects every other proposal. */
  award(round, winner, { accept = round.task, reject = 'proposal rejected' } = {}) {
    if (round.state !== 'ready') throw new Error(`round ${round.conversationId} is ${round.state}, not ready`);
    if (!round.proposals.includes(winner)) throw new Error('the winner must be one of the round\'s proposals');
    for (const p of round.proposals) {
      if (p === winner) reply(p, 'accept-proposal', accept);
      else reply(p, 'reject-proposal', reject);
    }
    round.winner = winner;
    round.state = 'awarded';
  }

  /** Ends a ready round without a winner: every proposal is rejected. */
  rejectAll(round, reason = 'no proposal accepted') {
    for (const p of round.proposals) reply(p, 'reject-proposal', reason);
    round.state = 'failed';
    this.#finished(round);
  }
}

/** The proposal with the highest score(proposal), or undefined if there are none. */
export function bestProposal(round, score) {
  let best;
  let bestScore = -Infinity;
  for (const p of round.proposals) {
    const s = score(p);
    if (Number.isFinite(s) && s > bestScore) {
      best = p;
      bestScore = s;
    }
  }
  return best;
}

// --- participant ---------------------------------------------------------------------------------

/** Bids for a cfp. Returns false (and sends nothing) if the cfp's reply-by has passed. */
export function propose(cfp, content) {
  if (isExpired(cfp, now())) return false;
  reply(cfp, 'propose', content);
  return true;
}
