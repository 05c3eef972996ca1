"""fipa-contract-net (SC00029), both roles; the same model as the AssemblyScript and JS SDKs.

Initiator: ``start`` sends a cfp with reply-by to N contractors and arms a timer for the deadline.
Feed every message to ``handle`` and every timer token to ``on_timer``; when a round becomes READY
(everyone answered, or the deadline passed) pick a winner (see ``best_proposal``) and ``award`` it:
accept-proposal to the winner, reject-proposal to every other bidder. Proposals arriving after the
round closed are rejected automatically. The winner's inform/failure ends the round.

Participant: answer a cfp with ``propose`` or ``refuse``; on accept-proposal do the work and answer
with inform_result/inform_done/failure (caxton.reply).
"""
from __future__ import annotations

import math
from enum import Enum
from typing import Callable, Dict, List, Optional

from ..host import now, send, set_timer
from ..reply import initiate, is_expired, reply
from ..types import AclMessage, AgentId, Performative

CONTRACT_NET = "fipa-contract-net"
TOKEN_PREFIX = "contract-net-deadline:"
# Finished rounds are remembered (so late proposals still get their reject-proposal) up to this many.
KEEP_FINISHED = 256


class RoundState(Enum):
    COLLECTING = 0
    READY = 1
    NO_BIDS = 2
    AWARDED = 3
    DONE = 4
    FAILED = 5


class CnetEvent(Enum):
    """What ``ContractNetInitiator.handle`` made of a message."""
    NONE = 0
    PROPOSE = 1
    REFUSE = 2
    READY = 3
    LATE = 4
    RESULT = 5
    FAILURE = 6
    NOT_UNDERSTOOD = 7


class CfpRound:
    def __init__(self, task: str) -> None:
        self.conversation_id = ""
        self.task = task
        self.deadline = 0
        self.invited: List[str] = []
        self.proposals: List[AclMessage] = []
        self.refusals: List[AclMessage] = []
        self.state = RoundState.COLLECTING
        self.winner: Optional[AclMessage] = None
        self.result: Optional[AclMessage] = None
        self.last_event = CnetEvent.NONE
        #: Free for the initiator's own bookkeeping (e.g. the request that triggered the round).
        self.origin: Optional[AclMessage] = None

    def answered(self) -> int:
        return len(self.proposals) + len(self.refusals)


class ContractNetInitiator:
    def __init__(self) -> None:
        self.rounds: Dict[str, CfpRound] = {}
        self._finished: List[str] = []

    def start(self, task: str, contractors: List[AgentId], timeout_ms: int) -> CfpRound:
        """Calls for proposals on ``task`` from ``contractors``, who must answer within ``timeout_ms``."""
        rnd = CfpRound(task)
        rnd.deadline = now() + timeout_ms
        cfp = initiate(Performative.CFP, list(contractors), task, CONTRACT_NET)
        cfp.reply_by = rnd.deadline
        rnd.conversation_id = cfp.conversation_id or ""
        rnd.invited = [c.name for c in contractors]
        if not contractors:
            rnd.state = RoundState.NO_BIDS
            return rnd
        self.rounds[rnd.conversation_id] = rnd
        send(cfp)
        set_timer(timeout_ms, TOKEN_PREFIX + rnd.conversation_id)
        return rnd

    def handle(self, msg: AclMessage) -> Optional[CfpRound]:
        """Feeds a message; returns its round (see ``round.last_event``) or None when not ours."""
        conv, sender = msg.conversation_id, msg.sender
        if conv is None or sender is None or conv not in self.rounds:
            return None
        rnd = self.rounds[conv]
        if sender.name not in rnd.invited:
            return None
        p = msg.performative
        if p in (Performative.PROPOSE, Performative.REFUSE):
            if rnd.state != RoundState.COLLECTING:
                if p == Performative.PROPOSE:
                    reply(msg, Performative.REJECT_PROPOSAL, "too late")
                rnd.last_event = CnetEvent.LATE
                return rnd
            (rnd.proposals if p == Performative.PROPOSE else rnd.refusals).append(msg)
            if rnd.answered() == len(rnd.invited):
                self._close(rnd)
                rnd.last_event = CnetEvent.READY
            else:
                rnd.last_event = CnetEvent.PROPOSE if p == Performative.PROPOSE else CnetEvent.REFUSE
            return rnd
        if p in (Performative.INFORM, Performative.FAILURE):
            w = rnd.winner
            if rnd.state != RoundState.AWARDED or w is None or w.sender is None or w.sender.name != sender.name:
                return None
            rnd.result = msg
            rnd.state = RoundState.DONE if p == Performative.INFORM else RoundState.FAILED
            rnd.last_event = CnetEvent.RESULT if p == Performative.INFORM else CnetEvent.FAILURE
            self._done(rnd)
            return rnd
        if p == Performative.NOT_UNDERSTOOD:
            rnd.last_event = CnetEvent.NOT_UNDERSTOOD
            return rnd
        return None

    def on_timer(self, token: str) -> Optional[CfpRound]:
        """Feeds a timer token; returns the round its deadline just closed, or None."""
        if not token.startswith(TOKEN_PREFIX):
            return None
        rnd = self.rounds.get(token[len(TOKEN_PREFIX):])
        if rnd is None or rnd.state != RoundState.COLLECTING:
            return None
        self._close(rnd)
        return rnd

    def _close(self, rnd: CfpRound) -> None:
        rnd.state = RoundState.READY if rnd.proposals else RoundState.NO_BIDS
        if rnd.state == RoundState.NO_BIDS:
            self._done(rnd)

    def _done(self, rnd: CfpRound) -> None:
        self._finished.append(rnd.conversation_id)
        if len(self._finished) > KEEP_FINISHED:
            self.rounds.pop(self._finished.pop(0), None)

    def award(self, rnd: CfpRound, winner: AclMessage, accept_content: str) -> None:
        """Accepts ``winner`` (one of the round's proposals) and rejects every other proposal."""
        if rnd.state != RoundState.READY:
            raise RuntimeError("contract net: award() on a round that is not ready")
        for p in rnd.proposals:
            if p is winner:
                reply(p, Performative.ACCEPT_PROPOSAL, accept_content)
            else:
                reply(p, Performative.REJECT_PROPOSAL, "proposal rejected")
        rnd.winner = winner
        rnd.state = RoundState.AWARDED

    def reject_all(self, rnd: CfpRound, reason: str) -> None:
        """Ends a ready round without a winner: every proposal is rejected."""
        for p in rnd.proposals:
            reply(p, Performative.REJECT_PROPOSAL, reason)
        rnd.state = RoundState.FAILED
        self._done(rnd)


def best_proposal(rnd: CfpRound, score: Callable[[AclMessage], float]) -> Optional[AclMessage]:
    """The proposal with the highest ``score``, or None. NaN scores never win."""
    best: Optional[AclMessage] = None
    best_score = -math.inf
    for p in rnd.proposals:
        s = score(p)
        if not math.isnan(s) and s > best_score:
            best, best_score = p, s
    return best


def propose(cfp: AclMessage, content: str) -> bool:
    """Bids for a cfp. Returns False (and sends nothing) when its reply-by has passed."""
    if is_expired(cfp, now()):
        return False
    reply(cfp, Performative.PROPOSE, content)
    return True
