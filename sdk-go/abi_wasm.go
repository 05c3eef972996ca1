//go:build wasip1

package caxton

// The caxton:agent world through the bindings wit-bindgen generates from wit/agent.wit
// (internal/wit, decision 2205): this file only converts between their types and the SDK's.
// Strings lifted from the host point into the memory it wrote (internal/wit_runtime), so nothing
// is copied twice; the SDK's AgentID and KeyValue have the generated types' layout, so their lists
// are viewed, not converted.

import (
	"caxton.dev/caxton/internal/guest"
	"caxton.dev/caxton/internal/wit/caxton_agent_host"
	types "caxton.dev/caxton/internal/wit/caxton_agent_types"
	_ "caxton.dev/caxton/internal/wit/wit_exports"
	"caxton.dev/caxton/internal/wit_runtime"
	wt "caxton.dev/caxton/internal/wit_types"
	"caxton.dev/caxton/internal/witconv"
)

var defaultHost Host = wasmHost{}

type outcome = wt.Result[wt.Unit, string]

func init() {
	guest.Init = func(c types.InitContext) outcome {
		return finish(callInit(&InitContext{Self: AgentID(witconv.AgentID(c.Self)), Config: witconv.View[KeyValue](c.Config)}))
	}
	guest.Handle = func(m types.AclMessage) outcome { return finish(callHandle(fromWit(&m))) }
	guest.OnTimer = func(token string) outcome { return finish(callOnTimer(token)) }
}

func finish(err error) outcome {
	if err != nil {
		return wt.Err[wt.Unit](err.Error())
	}
	return wt.Ok[wt.Unit, string](wt.Unit{})
}

func hostResult(r outcome) error {
	if r.Tag() == wt.ResultErr {
		return hostError(r.Err())
	}
	return nil
}

func fromWit(w *types.AclMessage) *Message {
	m := &Message{
		Performative: Performative(w.Performative), Receivers: witconv.AgentIDs[AgentID](w.Receivers), ReplyTo: witconv.AgentIDs[AgentID](w.ReplyTo),
		Content: witconv.OrEmpty(w.Content), Language: witconv.OrEmpty(w.Language), Encoding: witconv.OrEmpty(w.Encoding),
		Ontology: witconv.OrEmpty(w.Ontology), Protocol: witconv.OrEmpty(w.Protocol), ConversationID: witconv.OrEmpty(w.ConversationId),
		ReplyWith: witconv.OrEmpty(w.ReplyWith), InReplyTo: witconv.OrEmpty(w.InReplyTo), UserParams: witconv.View[KeyValue](w.UserParams),
	}
	if w.Sender.IsSome() {
		s := AgentID(witconv.AgentID(w.Sender.Some()))
		m.Sender = &s
	}
	if w.ReplyBy.IsSome() {
		m.ReplyBy = w.ReplyBy.Some()
	}
	return m
}

func toWit(m *Message) types.AclMessage {
	w := types.AclMessage{
		Performative: uint8(m.Performative), Receivers: witconv.View[types.AgentId](m.Receivers), ReplyTo: witconv.View[types.AgentId](m.ReplyTo),
		Content: witconv.Optional(m.Content), Language: witconv.Optional(m.Language), Encoding: witconv.Optional(m.Encoding),
		Ontology: witconv.Optional(m.Ontology), Protocol: witconv.Optional(m.Protocol), ConversationId: witconv.Optional(m.ConversationID),
		ReplyWith: witconv.Optional(m.ReplyWith), InReplyTo: witconv.Optional(m.InReplyTo),
		UserParams: witconv.View[wt.Tuple2[string, string]](m.UserParams), ReplyBy: wt.None[uint64](),
	}
	if m.Sender != nil {
		w.Sender = wt.Some(types.AgentId(*m.Sender))
	}
	if m.ReplyBy != 0 {
		w.ReplyBy = wt.Some(m.ReplyBy)
	}
	return w
}

type wasmHost struct{}

func (wasmHost) Send(m *Message) error {
	defer wit_runtime.Import()()
	return hostResult(caxton_agent_host.Send(toWit(m)))
}

func (wasmHost) Log(level LogLevel, line string) { caxton_agent_host.Log(uint8(level), line) }
func (wasmHost) Now() uint64                     { return caxton_agent_host.Now() }
func (wasmHost) NewID() string {
	defer wit_runtime.Import()()
	return caxton_agent_host.NewId()
}
func (wasmHost) SetTimer(delayMs uint32, token string) {
	caxton_agent_host.SetTimer(delayMs, token)
}

func (wasmHost) RegisterService(s *ServiceDescription) error {
	defer wit_runtime.Import()()
	return hostResult(caxton_agent_host.RegisterService(types.ServiceDescription{
		Name: s.Name, Type: s.Type, Protocols: s.Protocols, Ontologies: s.Ontologies, Languages: s.Languages,
		Properties: witconv.View[wt.Tuple2[string, string]](s.Properties),
	}))
}

func (wasmHost) DeregisterService(name string) { caxton_agent_host.DeregisterService(name) }

func (wasmHost) SearchServices(serviceType string) []AgentID {
	defer wit_runtime.Import()()
	return witconv.AgentIDs[AgentID](caxton_agent_host.SearchServices(serviceType))
}
