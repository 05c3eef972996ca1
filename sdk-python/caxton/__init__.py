"""caxton: write Caxton agents in Python (built by ``caxton build`` with componentize-py).

    from caxton import Agent, AclMessage, Performative, register, reply

    class Echo(Agent):
        def on_message(self, msg: AclMessage) -> None:
            reply(msg, Performative.INFORM, msg.content)

    register(Echo())

    from caxton.exports import Guest  # the world's exports, driving the registered agent
"""
__version__ = "0.1.0"

from .types import (AclMessage, AgentId, InitContext, LogLevel, Performative, ServiceDescription, aid,
                    parse_performative, performative_name)
from .agent import Agent, Failure, fail, register, self_id
from .host import (debug, deregister_service, error, info, log, new_id, now, register_service, search_services,
                   send, set_timer, trace, warn)
from .reply import (agree, create_reply, failure, inform_done, inform_result, initiate, is_expired,
                    not_understood, refuse, reply)
from .protocols.contract_net import (CONTRACT_NET, CfpRound, CnetEvent, ContractNetInitiator, RoundState,
                                     best_proposal, propose)
from .protocols.request import QUERY, REQUEST, query_if, query_ref, request
from .protocols.subscribe import SUBSCRIBE, SubscriptionTable, subscribe, unsubscribe
from . import http, message_info, state, topics  # noqa: E402 - caxton.state.get(...), caxton.http.fetch(...), caxton.topics.subscribe(...)

__all__ = [
    "AclMessage", "AgentId", "InitContext", "LogLevel", "Performative", "ServiceDescription", "aid",
    "parse_performative", "performative_name",
    "Agent", "Failure", "fail", "register", "self_id",
    "debug", "deregister_service", "error", "info", "log", "new_id", "now", "register_service",
    "search_services", "send", "set_timer", "trace", "warn",
    "agree", "create_reply", "failure", "inform_done", "inform_result", "initiate", "is_expired",
    "not_understood", "refuse", "reply",
    "CONTRACT_NET", "CfpRound", "CnetEvent", "ContractNetInitiator", "RoundState", "best_proposal", "propose",
    "QUERY", "REQUEST", "query_if", "query_ref", "request",
    "SUBSCRIBE", "SubscriptionTable", "subscribe", "unsubscribe",
    "http", "message_info", "state", "topics",
]
