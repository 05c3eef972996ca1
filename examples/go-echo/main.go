// Echo: answers every message with an inform carrying the same content.
package main

import "caxton.dev/caxton"

type echo struct{ caxton.BaseAgent }

func (echo) Handle(msg *caxton.Message) error {
	return caxton.Reply(msg, caxton.Inform, msg.Content)
}

func init() { caxton.Register(echo{}) }

// main is never called: the agent is a reactor driven by the runtime.
func main() {}
