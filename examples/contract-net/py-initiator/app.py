"""Contract-net initiator, driven by fipa-request:

  someone --request "<task>"--> initiator
    contractors: config `contractors` (comma-separated agent names), else every agent that
    advertises `service-type` (default "delivery") in the directory
      none           -> refuse
      else           -> agree, cfp(task, reply-by = now + deadline-ms) to all of them
    propose/refuse until everyone answered or reply-by passed (a timer), then
      no proposals   -> failure to the requester
      else           -> accept-proposal to the cheapest, reject-proposal to the rest
    the winner's inform -> inform (its result) to the requester; its failure -> failure
Every outcome is logged. Config: contractors, service-type, deadline-ms (default 1000).
"""
import math

from caxton import (AclMessage, Agent, CfpRound, CnetEvent, ContractNetInitiator, InitContext, Performative,
                    RoundState, agree, aid, best_proposal, fail, failure, info, inform_result, not_understood,
                    refuse, register, search_services, warn)


def price_of(proposal: AclMessage) -> float:
    try:
        return -float(proposal.content or "")  # the cheapest scores highest
    except ValueError:
        return math.nan


class Initiator(Agent):
    def __init__(self) -> None:
        self.cnet = ContractNetInitiator()
        self.contractors = []
        self.service_type = "delivery"
        self.deadline_ms = 1000

    def on_init(self, ctx: InitContext) -> None:
        names = ctx.get("contractors") or ""
        self.contractors = [aid(n.strip()) for n in names.split(",") if n.strip()]
        self.service_type = ctx.get("service-type") or self.service_type
        deadline = ctx.get("deadline-ms")
        if deadline is not None:
            if not deadline.isdigit() or int(deadline) <= 0:
                fail(f"deadline-ms must be a positive integer, got {deadline}")
            self.deadline_ms = int(deadline)

    def decide(self, rnd: CfpRound) -> None:
        requester = rnd.origin
        if rnd.state == RoundState.NO_BIDS:
            info(f'no proposals for "{rnd.task}" ({len(rnd.refusals)} refusals)')
            if requester is not None:
                failure(requester, f"no proposals for: {rnd.task}")
            return
        winner = best_proposal(rnd, price_of)
        if winner is None or winner.sender is None:
            self.cnet.reject_all(rnd, "no valid price")
            warn(f'no valid proposal for "{rnd.task}"')
            if requester is not None:
                failure(requester, f"no valid proposal for: {rnd.task}")
            return
        info(f'awarding "{rnd.task}" to {winner.sender.name} at {winner.content} '
             f"({len(rnd.proposals)} bids, {len(rnd.refusals)} refusals)")
        self.cnet.award(rnd, winner, rnd.task)

    def on_message(self, msg: AclMessage) -> None:
        rnd = self.cnet.handle(msg)
        if rnd is not None:
            if rnd.last_event == CnetEvent.READY:
                self.decide(rnd)
            elif rnd.last_event == CnetEvent.RESULT:
                result = rnd.result.content if rnd.result is not None else None
                info(f'"{rnd.task}" done: {result}')
                if rnd.origin is not None:
                    inform_result(rnd.origin, result or "done")
            elif rnd.last_event == CnetEvent.FAILURE:
                reason = rnd.result.content if rnd.result is not None else None
                warn(f'"{rnd.task}" failed: {reason}')
                if rnd.origin is not None:
                    failure(rnd.origin, f"contractor failed: {reason or ''}")
            return
        if msg.performative == Performative.REQUEST:
            task = msg.content or ""
            contractors = self.contractors or search_services(self.service_type)
            if not contractors:
                refuse(msg, f"no {self.service_type} contractors")
                return
            agree(msg, f"calling for proposals from {len(contractors)} contractors")
            rnd = self.cnet.start(task, contractors, self.deadline_ms)
            rnd.origin = msg
            return
        if msg.performative not in (Performative.NOT_UNDERSTOOD, Performative.FAILURE, Performative.INFORM):
            not_understood(msg, "send a request with the task as content")

    def on_timer(self, token: str) -> None:
        rnd = self.cnet.on_timer(token)
        if rnd is not None:
            self.decide(rnd)


register(Initiator())

from caxton.exports import Guest  # noqa: E402,F401
