package caxton

import "errors"

// Agent is what the runtime drives. An error from Init fails the deployment; an error from
// Handle or OnTimer is an application-level failure (the runtime answers the sender with
// `failure`). A panic is a crash: the instance is replaced, its outbox discarded and the message
// retried.
type Agent interface {
	Init(ctx *InitContext) error
	Handle(msg *Message) error
	OnTimer(token string) error
}

// BaseAgent gives every method a default: Init and OnTimer do nothing, Handle answers
// not-understood (as FIPA expects for messages an agent cannot process). Embed it and override.
type BaseAgent struct{}

func (BaseAgent) Init(*InitContext) error { return nil }
func (BaseAgent) OnTimer(string) error    { return nil }
func (BaseAgent) Handle(msg *Message) error {
	if msg.Performative != NotUnderstood && msg.Performative != Failure {
		NotUnderstoodTo(msg, "no handler")
	}
	return nil
}

var (
	registered Agent
	selfID     AgentID
)

// Register makes a the agent the runtime drives. Call it once, from an init function.
func Register(a Agent) { registered = a }

// Self is this agent's own identifier (valid from Init on).
func Self() AgentID { return selfID }

var errNoAgent = errors.New("no agent registered: call caxton.Register(&MyAgent{}) from an init function")

// The three guest calls, independent of the ABI (the generated exports lift the arguments and
// lower the result, abi_wasm.go converts them; tests call these directly).
func callInit(ctx *InitContext) error {
	selfID = ctx.Self
	if registered == nil {
		return errNoAgent
	}
	return registered.Init(ctx)
}

func callHandle(msg *Message) error {
	if registered == nil {
		return errNoAgent
	}
	return registered.Handle(msg)
}

func callOnTimer(token string) error {
	if registered == nil {
		return errNoAgent
	}
	return registered.OnTimer(token)
}
