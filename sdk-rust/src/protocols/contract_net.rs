//! fipa-contract-net: the participant's `propose` and the initiator's rounds (cfp to many, collect
//! proposals until all answered or the deadline timer fires, award one, reject the others, wait
//! for the winner's inform/failure).
use crate::host::{now, send, set_timer};
use crate::performative::Performative;
use crate::reply::{initiate, is_expired, reply};
use crate::types::{AclMessage, AgentId};
use std::collections::HashMap;

pub const CONTRACT_NET: &str = "fipa-contract-net";
const TOKEN_PREFIX: &str = "cnet:";
/// Finished rounds kept for late messages before they are forgotten.
const KEEP_FINISHED: usize = 64;

// --- participant ---------------------------------------------------------------------------------

/// Bids for a cfp. Returns false (and sends nothing) when its reply-by has passed.
pub fn propose(cfp: &AclMessage, content: &str) -> bool {
    if is_expired(cfp, now()) {
        return false;
    }
    let _ = reply(cfp, Performative::Propose, Some(content.to_string()));
    true
}

/// A call for proposals to `contractors` (without the round bookkeeping: see [`ContractNetInitiator`]).
pub fn cfp(contractors: Vec<AgentId>, task: &str, reply_by: Option<u64>) -> Result<AclMessage, String> {
    let mut m = initiate(Performative::Cfp, contractors, Some(task.to_string()), Some(CONTRACT_NET));
    m.reply_by = reply_by;
    send(&m)?;
    Ok(m)
}

pub fn accept_proposal(proposal: &AclMessage, content: &str) -> Result<(), String> {
    reply(proposal, Performative::AcceptProposal, Some(content.to_string()))
}

pub fn reject_proposal(proposal: &AclMessage, reason: &str) -> Result<(), String> {
    reply(proposal, Performative::RejectProposal, Some(reason.to_string()))
}

// --- initiator -----------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoundState {
    Collecting,
    Ready,
    NoBids,
    Awarded,
    Done,
    Failed,
}

/// What feeding a message or timer did to a round.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CfpOutcome {
    Propose,
    Refuse,
    /// Every invited contractor answered, or the deadline passed with proposals: award now.
    Ready,
    /// The deadline passed (or nobody was invited) without a proposal.
    NoBids,
    Late,
    Result,
    Failure,
    NotUnderstood,
}

/// A proposal with the price parsed from its content (when the content is a number).
pub struct Proposal<'a> {
    pub message: &'a AclMessage,
    pub price: Option<f64>,
}

#[derive(Clone, Debug)]
pub struct CfpRound {
    pub conversation_id: String,
    pub task: String,
    pub deadline: u64,
    pub invited: Vec<String>,
    pub proposals: Vec<AclMessage>,
    pub refusals: Vec<AclMessage>,
    pub state: RoundState,
    pub winner: Option<AclMessage>,
    pub result: Option<AclMessage>,
}

impl CfpRound {
    pub fn answered(&self) -> usize {
        self.proposals.len() + self.refusals.len()
    }

    /// The proposal with the lowest numeric price (content parsed as a number), if any.
    pub fn cheapest(&self) -> Option<Proposal<'_>> {
        self.proposals
            .iter()
            .filter_map(|m| m.content_str().trim().parse::<f64>().ok().filter(|p| !p.is_nan()).map(|p| (m, p)))
            .fold(None, |best: Option<(&AclMessage, f64)>, (m, p)| match best {
                Some((_, bp)) if bp <= p => best,
                _ => Some((m, p)),
            })
            .map(|(m, p)| Proposal { message: m, price: Some(p) })
    }
}

#[derive(Default, Debug)]
pub struct ContractNetInitiator {
    pub rounds: HashMap<String, CfpRound>,
    finished: Vec<String>,
}

impl ContractNetInitiator {
    pub fn new() -> Self {
        Self::default()
    }

    /// Calls for proposals on `task` from `contractors`, who must answer within `timeout_ms`.
    /// Returns the round's conversation-id.
    pub fn start(&mut self, task: &str, contractors: Vec<AgentId>, timeout_ms: u32) -> Result<String, String> {
        let deadline = now() + timeout_ms as u64;
        let invited: Vec<String> = contractors.iter().map(|c| c.name.clone()).collect();
        let empty = contractors.is_empty();
        let mut m = initiate(Performative::Cfp, contractors, Some(task.to_string()), Some(CONTRACT_NET));
        m.reply_by = Some(deadline);
        let conv = m.conversation_id.clone().unwrap_or_default();
        let mut round = CfpRound {
            conversation_id: conv.clone(), task: task.to_string(), deadline, invited,
            proposals: Vec::new(), refusals: Vec::new(), state: RoundState::Collecting, winner: None, result: None,
        };
        if empty {
            round.state = RoundState::NoBids;
            self.rounds.insert(conv.clone(), round);
            self.finish(&conv);
            return Ok(conv);
        }
        send(&m)?;
        set_timer(timeout_ms, &format!("{}{}", TOKEN_PREFIX, conv));
        self.rounds.insert(conv.clone(), round);
        Ok(conv)
    }

    pub fn round(&self, conversation_id: &str) -> Option<&CfpRound> {
        self.rounds.get(conversation_id)
    }

    /// Feeds a message; returns its round's conversation-id and what happened, or None when the
    /// message is not part of one of this initiator's rounds.
    pub fn handle(&mut self, msg: &AclMessage) -> Option<(String, CfpOutcome)> {
        let conv = msg.conversation_id.clone()?;
        let sender = msg.sender.as_ref()?.name.clone();
        let round = self.rounds.get_mut(&conv)?;
        if !round.invited.contains(&sender) {
            return None;
        }
        let outcome = match msg.performative {
            p @ (Performative::Propose | Performative::Refuse) => {
                if round.state != RoundState::Collecting {
                    if p == Performative::Propose {
                        let _ = reply(msg, Performative::RejectProposal, Some("too late".to_string()));
                    }
                    CfpOutcome::Late
                } else {
                    if p == Performative::Propose {
                        round.proposals.push(msg.clone());
                    } else {
                        round.refusals.push(msg.clone());
                    }
                    if round.answered() == round.invited.len() {
                        return Some((conv.clone(), self.close(&conv)));
                    }
                    if p == Performative::Propose { CfpOutcome::Propose } else { CfpOutcome::Refuse }
                }
            }
            p @ (Performative::Inform | Performative::Failure) => {
                let winner = round.winner.as_ref().and_then(|w| w.sender.as_ref()).map(|s| s.name.clone());
                if round.state != RoundState::Awarded || winner.as_deref() != Some(sender.as_str()) {
                    return None;
                }
                round.result = Some(msg.clone());
                let ok = p == Performative::Inform;
                round.state = if ok { RoundState::Done } else { RoundState::Failed };
                self.finish(&conv);
                if ok { CfpOutcome::Result } else { CfpOutcome::Failure }
            }
            Performative::NotUnderstood => CfpOutcome::NotUnderstood,
            _ => return None,
        };
        Some((conv, outcome))
    }

    /// Feeds a timer token; returns the round its deadline just closed (Ready or NoBids), or None.
    pub fn on_timer(&mut self, token: &str) -> Option<(String, CfpOutcome)> {
        let conv = token.strip_prefix(TOKEN_PREFIX)?.to_string();
        if self.rounds.get(&conv)?.state != RoundState::Collecting {
            return None;
        }
        let outcome = self.close(&conv);
        Some((conv, outcome))
    }

    fn close(&mut self, conv: &str) -> CfpOutcome {
        let round = self.rounds.get_mut(conv).expect("round");
        if round.proposals.is_empty() {
            round.state = RoundState::NoBids;
            self.finish(conv);
            CfpOutcome::NoBids
        } else {
            round.state = RoundState::Ready;
            CfpOutcome::Ready
        }
    }

    fn finish(&mut self, conv: &str) {
        self.finished.push(conv.to_string());
        if self.finished.len() > KEEP_FINISHED {
            let old = self.finished.remove(0);
            self.rounds.remove(&old);
        }
    }

    /// Accepts the proposal at `index` of the round's proposals and rejects every other one.
    pub fn award(&mut self, conversation_id: &str, index: usize, accept_content: &str) -> Result<(), String> {
        let round = self.rounds.get_mut(conversation_id).ok_or("contract net: unknown round")?;
        if round.state != RoundState::Ready || index >= round.proposals.len() {
            return Err("contract net: award() on a round that is not ready".to_string());
        }
        for (i, p) in round.proposals.iter().enumerate() {
            if i == index {
                reply(p, Performative::AcceptProposal, Some(accept_content.to_string()))?;
            } else {
                let _ = reply(p, Performative::RejectProposal, Some("proposal rejected".to_string()));
            }
        }
        round.winner = Some(round.proposals[index].clone());
        round.state = RoundState::Awarded;
        Ok(())
    }

    /// Ends a ready round without a winner: every proposal is rejected.
    pub fn reject_all(&mut self, conversation_id: &str, reason: &str) {
        if let Some(round) = self.rounds.get_mut(conversation_id) {
            for p in &round.proposals {
                let _ = reply(p, Performative::RejectProposal, Some(reason.to_string()));
            }
            round.state = RoundState::Failed;
            self.finish(conversation_id);
        }
    }
}
