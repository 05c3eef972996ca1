// Package topics is the agent's topic subscriptions (caxton:agent/topics@0.1.0, decisions 1960
// and 1961). A message sent to the receiver "topic:<name>" is delivered to every agent subscribed
// to <name> (its receiver stays "topic:<name>"). Like a send, a change made in Init, a handler or a
// timer is applied only if that call completes, and it lasts (restarts, upgrades) until
// unsubscribed or the agent is undeployed. The name and the filter are checked at the call; the
// per-agent bound (100 topics) when the change is applied (a refusal is written to the agent's log).
//
//	err := topics.Subscribe("jobs.delivery", `{"all":[{"field":"performative","match":{"equals":"cfp"}}]}`)
//	err = topics.Unsubscribe("jobs.delivery")
//
// Only an agent that imports this package imports the interface.
package topics

import (
	"strconv"
)

// ErrorKind says why a change was refused (the WIT topic-error-kind, same order).
type ErrorKind uint8

const (
	// InvalidName: not a topic name (1..200 letters, digits and ". - _ /", no "topic:" prefix).
	InvalidName ErrorKind = iota
	// InvalidFilter: the filter is not the filter form as JSON, or is over its bounds.
	InvalidFilter
	// QuotaExceeded: too many directory or topic changes in this call or this second.
	QuotaExceeded
)

var kindNames = [...]string{"invalid-name", "invalid-filter", "quota-exceeded"}

func (k ErrorKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "topic-error-kind(" + strconv.Itoa(int(k)) + ")"
}

// Error is a refused change.
type Error struct {
	Kind    ErrorKind
	Message string
}

func (e *Error) Error() string { return "topics " + e.Kind.String() + ": " + e.Message }

// Subscriber is the topics interface. In a built agent it is the runtime; elsewhere it is an
// in-memory Memory (replace it with Use in tests).
type Subscriber interface {
	// Subscribe with a filter as JSON text, or hasFilter false for every message.
	Subscribe(topic, filter string, hasFilter bool) error
	Unsubscribe(topic string) error
}

var subscriber Subscriber = defaultSubscriber

// Use replaces the subscriber (for tests outside WebAssembly) and returns the previous one.
func Use(s Subscriber) Subscriber {
	prev := subscriber
	subscriber = s
	return prev
}

// Subscribe subscribes to topic, taking every message; again: drops the filter. The error is an *Error.
func Subscribe(topic string) error { return subscriber.Subscribe(topic, "", false) }

// SubscribeFiltered subscribes to topic with a content filter as JSON text
// ({"all":[{"field":…,"match":{"equals"|"prefix"|"in":…}}]}); again: replaces the filter.
func SubscribeFiltered(topic, filter string) error { return subscriber.Subscribe(topic, filter, true) }

// Unsubscribe unsubscribes from topic (not being subscribed is fine). The error is an *Error.
func Unsubscribe(topic string) error { return subscriber.Unsubscribe(topic) }
