"""Contract-net contractor (participant role of fipa-contract-net), like as-contractor.

On init it registers a service of type `service-type` (default "delivery"). On a cfp it either
refuses (config `decline` = "true") or proposes its price: config `price`, else a stable
per-agent price derived from its name, so several copies of this one artifact bid differently (a
cfp whose reply-by has passed is ignored). On accept-proposal it performs the task and answers
inform (or failure when config `fail-on-award` = "true"); reject-proposal is logged. With config
`topic` it also subscribes to that topic at init, taking only cfps in fipa-contract-net (a content
filter; decision 1961), so an initiator can call for proposals with the receiver `topic:<topic>`.
"""
import math

from caxton import (CONTRACT_NET, AclMessage, Agent, InitContext, Performative, ServiceDescription, fail,
                    failure, info, inform_result, not_understood, propose, refuse, register,
                    register_service, self_id, topics)


def stable_price(name: str) -> float:
    """FNV-1a over the name's UTF-16 code units (as as-contractor): 10..99.

    Computed by hand, not with str.encode("utf-16"): a codec is imported on first use, and an
    agent cannot import modules at run time (the sandbox has no filesystem; see the docs)."""
    h = 2166136261
    for ch in name:
        o = ord(ch)
        units = (o,) if o <= 0xFFFF else (0xD800 + ((o - 0x10000) >> 10), 0xDC00 + ((o - 0x10000) & 0x3FF))
        for u in units:
            h ^= u
            h = (h * 16777619) & 0xFFFFFFFF
    return float(10 + h % 90)


def format_price(p: float) -> str:
    return str(int(p)) if p == math.floor(p) and abs(p) < 1e15 else repr(p)


class Contractor(Agent):
    def __init__(self) -> None:
        self.price = 0.0
        self.decline = False
        self.fail_on_award = False
        self.jobs = 0

    def on_init(self, ctx: InitContext) -> None:
        configured = ctx.get("price")
        try:
            self.price = float(configured) if configured is not None else stable_price(ctx.self.name)
        except ValueError:
            fail("config price must be a non-negative number")
        if math.isnan(self.price) or self.price < 0:
            fail("config price must be a non-negative number")
        self.decline = ctx.get("decline") == "true"
        self.fail_on_award = ctx.get("fail-on-award") == "true"
        service_type = ctx.get("service-type") or "delivery"
        err = register_service(ServiceDescription(
            f"{ctx.self.name}/{service_type}", service_type, [CONTRACT_NET],
            properties=[("price", format_price(self.price))]))
        if err is not None:
            fail(f"cannot register service: {err}")
        topic = ctx.get("topic")
        if topic is not None:
            try:
                topics.subscribe(topic, {"all": [{"field": "protocol", "match": {"equals": CONTRACT_NET}},
                                                 {"field": "performative", "match": {"in": ["cfp"]}}]})
            except topics.TopicError as e:
                fail(f"cannot subscribe: {e}")

    def on_message(self, msg: AclMessage) -> None:
        task = msg.content or ""
        p = msg.performative
        if p == Performative.CFP:
            if self.decline:
                refuse(msg, "not taking work")
            elif not propose(msg, format_price(self.price)):
                info(f"ignored an expired cfp: {task}")
        elif p == Performative.ACCEPT_PROPOSAL:
            if self.fail_on_award:
                failure(msg, f"could not perform {task}")
                return
            self.jobs += 1
            inform_result(msg, f"done: {task} by {self_id().name} for {format_price(self.price)}")
        elif p == Performative.REJECT_PROPOSAL:
            info(f"lost the bid for {task}")
        elif p not in (Performative.NOT_UNDERSTOOD, Performative.FAILURE):
            not_understood(msg, "I only take part in fipa-contract-net")


register(Contractor())

from caxton.exports import Guest  # noqa: E402,F401
