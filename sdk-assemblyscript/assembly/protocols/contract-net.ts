// fipa-contract-net (SC00029), both roles; the same model as @caxton/sdk-js.
//
// Initiator: `start` sends a cfp with reply-by to N contractors and arms a timer for the deadline.
// Feed every message to `handle` and every timer token to `onTimer`; when a round becomes READY
// (everyone answered, or the deadline passed) pick a winner (see `bestProposal`) and `award` it:
// accept-proposal to the winner, reject-proposal to all other bidders. Proposals that arrive after
// the round closed are rejected automatically, as the protocol requires. The winner's
// inform/failure ends the round.
//
// Participant: answer a cfp with `propose` or `refuse`; on accept-proposal do the work and answer
// with informResult/informDone/failure (reply.ts).
import { AclMessage, AgentId } from "../types";
import { Performative } from "../performative";
import { now, send, setTimer } from "../host";
import { initiate, reply, isExpired } from "../reply";

export const CONTRACT_NET = "fipa-contract-net";
const TOKEN_PREFIX = "contract-net-deadline:";
// Finished rounds are remembered (so late proposals still get their reject-proposal) up to this
// many; the oldest are forgotten first.
const KEEP_FINISHED: i32 = 256;

export enum RoundState { Collecting, Ready, NoBids, Awarded, Done, Failed }

/** What `ContractNetInitiator.handle` made of a message. */
export enum CnetEvent { None, Propose, Refuse, Ready, Late, Result, Failure, NotUnderstood }

export class CfpRound {
  conversationId: string = "";
  task: string = "";
  deadline: u64 = 0;
  invited: string[] = [];
  proposals: AclMessage[] = [];
  refusals: AclMessage[] = [];
  state: RoundState = RoundState.Collecting;
  winner: AclMessage | null = null;
  result: AclMessage | null = null;
  /** The last event `handle` reported for this round. */
  lastEvent: CnetEvent = CnetEvent.None;
  /** Free for the initiator's own bookkeeping (e.g. the request that triggered the round). */
  origin: AclMessage | null = null;

  answered(): i32 {
    return this.proposals.length + this.refusals.length;
  }
}

export class ContractNetInitiator {
  /** conversation-id -> round (finished ones too, see KEEP_FINISHED) */
  rounds: Map<string, CfpRound> = new Map();
  private finishedOrder: string[] = [];

  /** Calls for proposals on `task` from `contractors`, who must answer within `timeoutMs`. */
  start(task: string, contractors: AgentId[], timeoutMs: u32): CfpRound {
    const round = new CfpRound();
    round.task = task;
    round.deadline = now() + <u64>timeoutMs;
    const cfp = initiate(Performative.Cfp, contractors, task, CONTRACT_NET);
    cfp.setReplyBy(round.deadline);
    round.conversationId = cfp.conversationId!;
    for (let i = 0; i < contractors.length; i++) round.invited.push(contractors[i].name);
    if (contractors.length == 0) {
      round.state = RoundState.NoBids;
      return round;
    }
    this.rounds.set(round.conversationId, round);
    send(cfp);
    setTimer(timeoutMs, TOKEN_PREFIX + round.conversationId);
    return round;
  }

  /** Feeds a message; returns its round (see `round.lastEvent`) or null when it is not ours. */
  handle(msg: AclMessage): CfpRound | null {
    const conv = msg.conversationId;
    const sender = msg.sender;
    if (conv === null || sender === null || !this.rounds.has(conv)) return null;
    const round = this.rounds.get(conv);
    if (!round.invited.includes(sender.name)) return null;
    const p = msg.performative;
    if (p == Performative.Propose || p == Performative.Refuse) {
      if (round.state != RoundState.Collecting) {
        if (p == Performative.Propose) reply(msg, Performative.RejectProposal, "too late");
        round.lastEvent = CnetEvent.Late;
        return round;
      }
      if (p == Performative.Propose) round.proposals.push(msg);
      else round.refusals.push(msg);
      if (round.answered() == round.invited.length) {
        this.close(round);
        round.lastEvent = CnetEvent.Ready;
      } else {
        round.lastEvent = p == Performative.Propose ? CnetEvent.Propose : CnetEvent.Refuse;
      }
      return round;
    }
    if (p == Performative.Inform || p == Performative.Failure) {
      const w = round.winner;
      const ws = w !== null ? w.sender : null;
      if (round.state != RoundState.Awarded || ws === null || ws.name != sender.name) return null;
      round.result = msg;
      round.state = p == Performative.Inform ? RoundState.Done : RoundState.Failed;
      round.lastEvent = p == Performative.Inform ? CnetEvent.Result : CnetEvent.Failure;
      this.finished(round);
      return round;
    }
    if (p == Performative.NotUnderstood) {
      round.lastEvent = CnetEvent.NotUnderstood;
      return round;
    }
    return null;
  }

  /** Feeds a timer token; returns the round its deadline just closed, or null. */
  onTimer(token: string): CfpRound | null {
    if (!token.startsWith(TOKEN_PREFIX)) return null;
    const conv = token.substr(TOKEN_PREFIX.length);
    if (!this.rounds.has(conv)) return null;
    const round = this.rounds.get(conv);
    if (round.state != RoundState.Collecting) return null;
    this.close(round);
    return round;
  }

  private close(round: CfpRound): void {
    round.state = round.proposals.length > 0 ? RoundState.Ready : RoundState.NoBids;
    if (round.state == RoundState.NoBids) this.finished(round);
  }

  private finished(round: CfpRound): void {
    this.finishedOrder.push(round.conversationId);
    if (this.finishedOrder.length > KEEP_FINISHED) this.rounds.delete(this.finishedOrder.shift());
  }

  /** Accepts `winner` (one of the round's proposals) and rejects every other proposal. */
  award(round: CfpRound, winner: AclMessage, acceptContent: string): void {
    if (round.state != RoundState.Ready) abort("contract net: award() on a round that is not ready");
    for (let i = 0; i < round.proposals.length; i++) {
      const p = round.proposals[i];
      if (p === winner) reply(p, Performative.AcceptProposal, acceptContent);
      else reply(p, Performative.RejectProposal, "proposal rejected");
    }
    round.winner = winner;
    round.state = RoundState.Awarded;
  }

  /** Ends a ready round without a winner: every proposal is rejected. */
  rejectAll(round: CfpRound, reason: string): void {
    for (let i = 0; i < round.proposals.length; i++) reply(round.proposals[i], Performative.RejectProposal, reason);
    round.state = RoundState.Failed;
    this.finished(round);
  }
}

/** The proposal with the highest `score`, or null. Scores that are NaN never win. */
export function bestProposal(round: CfpRound, score: (proposal: AclMessage) => f64): AclMessage | null {
  let best: AclMessage | null = null;
  let bestScore = -Infinity;
  for (let i = 0; i < round.proposals.length; i++) {
    const s = score(round.proposals[i]);
    if (!isNaN(s) && s > bestScore) {
      best = round.proposals[i];
      bestScore = s;
    }
  }
  return best;
}

// --- participant ---------------------------------------------------------------------------------

/** Bids for a cfp. Returns false (and sends nothing) when its reply-by has passed. */
export function propose(cfp: AclMessage, content: string): bool {
  if (isExpired(cfp, now())) return false;
  reply(cfp, Performative.Propose, content);
  return true;
}
