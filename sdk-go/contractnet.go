package caxton

import (
	"errors"
	"math"
	"strings"
)

// fipa-contract-net (SC00029), both roles; the same model as the AssemblyScript and JS SDKs.
//
// Initiator: Start sends a cfp with reply-by to N contractors and arms a timer for the deadline.
// Feed every message to Handle and every timer token to OnTimer; when a round becomes ready
// (everyone answered, or the deadline passed) pick a winner (see BestProposal) and Award it:
// accept-proposal to the winner, reject-proposal to all other bidders. Proposals that arrive
// after the round closed are rejected automatically, as the protocol requires. The winner's
// inform/failure ends the round.
//
// Participant: answer a cfp with ProposeTo or RefuseTo; on accept-proposal do the work and answer
// with InformResult/InformDone/FailureTo.

const deadlinePrefix = "contract-net-deadline:"

// keepFinished is how many finished rounds are remembered (so late proposals still get their
// reject-proposal); the oldest are forgotten first.
const keepFinished = 256

// RoundState is where a contract-net round stands.
type RoundState int

const (
	Collecting RoundState = iota
	Ready
	NoBids
	Awarded
	Done
	Failed
)

// CnetEvent is what ContractNetInitiator.Handle made of a message.
type CnetEvent int

const (
	EventNone CnetEvent = iota
	EventPropose
	EventRefuse
	EventReady
	EventLate
	EventResult
	EventFailure
	EventNotUnderstood
)

// CfpRound is one call for proposals.
type CfpRound struct {
	ConversationID string
	Task           string
	Deadline       uint64
	Invited        []string
	Proposals      []*Message
	Refusals       []*Message
	State          RoundState
	Winner         *Message
	Result         *Message
	// LastEvent is the last event Handle reported for this round.
	LastEvent CnetEvent
	// Origin is free for the initiator's own bookkeeping (e.g. the request that started it).
	Origin *Message
}

// Answered is how many invited contractors proposed or refused.
func (r *CfpRound) Answered() int { return len(r.Proposals) + len(r.Refusals) }

func (r *CfpRound) invited(name string) bool {
	for _, n := range r.Invited {
		if n == name {
			return true
		}
	}
	return false
}

// ContractNetInitiator runs contract-net rounds (the manager role).
type ContractNetInitiator struct {
	Rounds   map[string]*CfpRound
	finished []string
}

// Start calls for proposals on task from contractors, who must answer within timeoutMs.
func (c *ContractNetInitiator) Start(task string, contractors []AgentID, timeoutMs uint32) *CfpRound {
	if c.Rounds == nil {
		c.Rounds = map[string]*CfpRound{}
	}
	round := &CfpRound{Task: task, Deadline: Now() + uint64(timeoutMs)}
	cfp := Initiate(Cfp, contractors, task, ProtocolContractNet)
	cfp.ReplyBy = round.Deadline
	round.ConversationID = cfp.ConversationID
	for _, a := range contractors {
		round.Invited = append(round.Invited, a.Name)
	}
	if len(contractors) == 0 {
		round.State = NoBids
		return round
	}
	c.Rounds[round.ConversationID] = round
	Send(cfp)
	SetTimer(timeoutMs, deadlinePrefix+round.ConversationID)
	return round
}

// Handle feeds a message; it returns the message's round (see LastEvent), or nil when the
// message is not part of one of this initiator's rounds.
func (c *ContractNetInitiator) Handle(msg *Message) *CfpRound {
	round, ok := c.Rounds[msg.ConversationID]
	if !ok || msg.Sender == nil || !round.invited(msg.Sender.Name) {
		return nil
	}
	switch p := msg.Performative; p {
	case Propose, Refuse:
		if round.State != Collecting {
			if p == Propose {
				Reply(msg, RejectProposal, "too late")
			}
			round.LastEvent = EventLate
			return round
		}
		if p == Propose {
			round.Proposals = append(round.Proposals, msg)
		} else {
			round.Refusals = append(round.Refusals, msg)
		}
		if round.Answered() == len(round.Invited) {
			c.close(round)
			round.LastEvent = EventReady
		} else if p == Propose {
			round.LastEvent = EventPropose
		} else {
			round.LastEvent = EventRefuse
		}
		return round
	case Inform, Failure:
		w := round.Winner
		if round.State != Awarded || w == nil || w.Sender == nil || w.Sender.Name != msg.Sender.Name {
			return nil
		}
		round.Result = msg
		if p == Inform {
			round.State, round.LastEvent = Done, EventResult
		} else {
			round.State, round.LastEvent = Failed, EventFailure
		}
		c.finish(round)
		return round
	case NotUnderstood:
		round.LastEvent = EventNotUnderstood
		return round
	}
	return nil
}

// OnTimer feeds a timer token; it returns the round whose deadline just closed it, or nil.
func (c *ContractNetInitiator) OnTimer(token string) *CfpRound {
	conv, ok := strings.CutPrefix(token, deadlinePrefix)
	if !ok {
		return nil
	}
	round, ok := c.Rounds[conv]
	if !ok || round.State != Collecting {
		return nil
	}
	c.close(round)
	return round
}

func (c *ContractNetInitiator) close(round *CfpRound) {
	if len(round.Proposals) > 0 {
		round.State = Ready
	} else {
		round.State = NoBids
		c.finish(round)
	}
}

func (c *ContractNetInitiator) finish(round *CfpRound) {
	c.finished = append(c.finished, round.ConversationID)
	if len(c.finished) > keepFinished {
		delete(c.Rounds, c.finished[0])
		c.finished = c.finished[1:]
	}
}

// ErrNotReady is returned by Award on a round that is not ready.
var ErrNotReady = errors.New("contract net: award on a round that is not ready")

// Award accepts winner (one of the round's proposals) and rejects every other proposal.
func (c *ContractNetInitiator) Award(round *CfpRound, winner *Message, acceptContent string) error {
	if round.State != Ready {
		return ErrNotReady
	}
	for _, p := range round.Proposals {
		if p == winner {
			Reply(p, AcceptProposal, acceptContent)
		} else {
			Reply(p, RejectProposal, "proposal rejected")
		}
	}
	round.Winner = winner
	round.State = Awarded
	return nil
}

// RejectAll ends a ready round without a winner: every proposal is rejected.
func (c *ContractNetInitiator) RejectAll(round *CfpRound, reason string) {
	for _, p := range round.Proposals {
		Reply(p, RejectProposal, reason)
	}
	round.State = Failed
	c.finish(round)
}

// BestProposal is the proposal with the highest score, or nil. NaN scores never win.
func BestProposal(round *CfpRound, score func(*Message) float64) *Message {
	var best *Message
	bestScore := math.Inf(-1)
	for _, p := range round.Proposals {
		if s := score(p); !math.IsNaN(s) && s > bestScore {
			best, bestScore = p, s
		}
	}
	return best
}

// ProposeTo bids for a cfp. It returns false (and sends nothing) when the cfp's reply-by passed.
func ProposeTo(cfp *Message, content string) bool {
	if IsExpired(cfp, Now()) {
		return false
	}
	Reply(cfp, Propose, content)
	return true
}
