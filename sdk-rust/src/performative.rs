//! The 22 FIPA communicative acts (SC00037) and the log levels, in WIT order (the discriminants
//! are the canonical-ABI enum values).

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Performative {
    AcceptProposal = 0,
    Agree = 1,
    Cancel = 2,
    Cfp = 3,
    Confirm = 4,
    Disconfirm = 5,
    Failure = 6,
    Inform = 7,
    InformIf = 8,
    InformRef = 9,
    NotUnderstood = 10,
    Propagate = 11,
    Propose = 12,
    Proxy = 13,
    QueryIf = 14,
    QueryRef = 15,
    Refuse = 16,
    RejectProposal = 17,
    Request = 18,
    RequestWhen = 19,
    RequestWhenever = 20,
    Subscribe = 21,
}

/// All 22 performatives in WIT order.
pub const PERFORMATIVES: [Performative; 22] = {
    use Performative::*;
    [
        AcceptProposal, Agree, Cancel, Cfp, Confirm, Disconfirm, Failure, Inform, InformIf, InformRef,
        NotUnderstood, Propagate, Propose, Proxy, QueryIf, QueryRef, Refuse, RejectProposal, Request,
        RequestWhen, RequestWhenever, Subscribe,
    ]
};

impl Performative {
    pub fn from_u8(d: u8) -> Option<Performative> {
        PERFORMATIVES.get(d as usize).copied()
    }

    /// The FIPA name (`accept-proposal`, `cfp`, …).
    pub fn name(self) -> &'static str {
        [
            "accept-proposal", "agree", "cancel", "cfp", "confirm", "disconfirm", "failure", "inform",
            "inform-if", "inform-ref", "not-understood", "propagate", "propose", "proxy", "query-if",
            "query-ref", "refuse", "reject-proposal", "request", "request-when", "request-whenever",
            "subscribe",
        ][self as usize]
    }

    pub fn from_name(name: &str) -> Option<Performative> {
        PERFORMATIVES.iter().copied().find(|p| p.name() == name)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum LogLevel {
    Trace = 0,
    Debug = 1,
    Info = 2,
    Warn = 3,
    Error = 4,
}
