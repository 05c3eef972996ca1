//go:build wasip1

package topics

import (
	wit "caxton.dev/caxton/internal/wit/caxton_agent_topics"
	"caxton.dev/caxton/internal/wit_runtime"
	wt "caxton.dev/caxton/internal/wit_types"
)

var defaultSubscriber Subscriber = wasmSubscriber{}

type wasmSubscriber struct{}

func (wasmSubscriber) Subscribe(topic, filter string, hasFilter bool) error {
	f := wt.None[string]()
	if hasFilter {
		f = wt.Some(filter)
	}
	defer wit_runtime.Import()()
	return topicError(wit.Subscribe(topic, f))
}

func (wasmSubscriber) Unsubscribe(topic string) error {
	defer wit_runtime.Import()()
	return topicError(wit.Unsubscribe(topic))
}

func topicError(r wt.Result[wt.Unit, wit.TopicError]) error {
	if r.Tag() == wt.ResultOk {
		return nil
	}
	return &Error{Kind: ErrorKind(r.Err().Kind), Message: r.Err().Message}
}
