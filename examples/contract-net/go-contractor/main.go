// Contract-net contractor (participant role of fipa-contract-net), like as-contractor.
//
// On init it registers a service of type `service-type` (default "delivery"). On a cfp it either
// refuses (config `decline` = "true", or the cfp's reply-by already passed) or proposes its price:
// config `price`, else a stable per-agent price derived from its name, so several copies of this
// one artifact bid differently. On accept-proposal it performs the task and answers inform-result
// (or failure when config `fail-on-award` = "true"); reject-proposal is logged. With config
// `topic` it also subscribes to that topic at init, taking only cfps (a content filter; decision
// 1961), so an initiator can call for proposals with the receiver `topic:<topic>`.
package main

import (
	"errors"
	"math"
	"strconv"

	"caxton.dev/caxton"
	"caxton.dev/caxton/topics"
)

type contractor struct {
	caxton.BaseAgent
	price       float64
	decline     bool
	failOnAward bool
	jobs        int
}

// stablePrice is FNV-1a over the name's UTF-16 code units (as as-contractor): 10..99.
func stablePrice(name string) float64 {
	h := uint32(2166136261)
	for _, r := range name {
		if r >= 0x10000 {
			r -= 0x10000
			for _, u := range []rune{0xd800 + (r >> 10), 0xdc00 + (r & 0x3ff)} {
				h ^= uint32(u)
				h *= 16777619
			}
			continue
		}
		h ^= uint32(r)
		h *= 16777619
	}
	return float64(10 + h%90)
}

// formatPrice writes "50" rather than "50.0" for whole prices.
func formatPrice(p float64) string {
	if p == math.Floor(p) && math.Abs(p) < 1e15 {
		return strconv.FormatInt(int64(p), 10)
	}
	return strconv.FormatFloat(p, 'g', -1, 64)
}

func (c *contractor) Init(ctx *caxton.InitContext) error {
	c.price = stablePrice(ctx.Self.Name)
	if v, ok := ctx.Get("price"); ok {
		p, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(p) || p < 0 {
			return errors.New("config price must be a non-negative number")
		}
		c.price = p
	}
	c.decline = ctx.GetOr("decline", "") == "true"
	c.failOnAward = ctx.GetOr("fail-on-award", "") == "true"
	typ := ctx.GetOr("service-type", "delivery")
	err := caxton.RegisterService(&caxton.ServiceDescription{
		Name: ctx.Self.Name + "/" + typ, Type: typ,
		Protocols:  []string{caxton.ProtocolContractNet},
		Properties: []caxton.KeyValue{{Key: "price", Value: formatPrice(c.price)}},
	})
	if err != nil {
		return errors.New("cannot register service: " + err.Error())
	}
	if topic, ok := ctx.Get("topic"); ok {
		if err := topics.SubscribeFiltered(topic, `{"all":[{"field":"performative","match":{"in":["cfp"]}}]}`); err != nil {
			return errors.New("cannot subscribe: " + err.Error())
		}
	}
	return nil
}

func (c *contractor) Handle(msg *caxton.Message) error {
	task := msg.Content
	switch msg.Performative {
	case caxton.Cfp:
		if c.decline {
			caxton.RefuseTo(msg, "not taking work")
		} else if !caxton.ProposeTo(msg, formatPrice(c.price)) {
			caxton.Info("ignored an expired cfp: " + task)
		}
	case caxton.AcceptProposal:
		if c.failOnAward {
			caxton.FailureTo(msg, "could not perform "+task)
			break
		}
		c.jobs++
		caxton.InformResult(msg, "done: "+task+" by "+caxton.Self().Name+" for "+formatPrice(c.price))
	case caxton.RejectProposal:
		caxton.Info("lost the bid for " + task)
	case caxton.NotUnderstood, caxton.Failure:
	default:
		caxton.NotUnderstoodTo(msg, "I only take part in fipa-contract-net")
	}
	return nil
}

func init() { caxton.Register(&contractor{}) }

func main() {}
