// Package caxton is the Go SDK for Caxton agents: typed FIPA ACL messages, the host functions of
// the caxton:agent world (send, log, clock, ids, timers, directory) and helpers for the FIPA
// interaction protocols (request, query, subscribe, contract net).
//
// An agent is a type implementing Agent, registered once from an init function:
//
//	type Echo struct{ caxton.BaseAgent }
//
//	func (Echo) Handle(msg *caxton.Message) error {
//		caxton.Reply(msg, caxton.Inform, msg.Content)
//		return nil
//	}
//
//	func init() { caxton.Register(Echo{}) }
//	func main() {}
//
// `caxton build` compiles the package with GOOS=wasip1 GOARCH=wasm -buildmode=c-shared; the
// bindings generated from the WIT (internal/wit, through abi_wasm.go) export the world's functions. On any other platform the host
// functions go to the Host set with UseHost, so agent logic can be unit-tested with `go test`.
package caxton

import "strings"

// Performative is one of the 22 FIPA communicative acts (SC00037). The values are the
// canonical-ABI enum discriminants of `performative` in wit/agent.wit: never reorder them.
type Performative uint8

const (
	AcceptProposal Performative = iota
	Agree
	Cancel
	Cfp
	Confirm
	Disconfirm
	Failure
	Inform
	InformIf
	InformRef
	NotUnderstood
	Propagate
	Propose
	Proxy
	QueryIf
	QueryRef
	Refuse
	RejectProposal
	Request
	RequestWhen
	RequestWhenever
	Subscribe
)

// PerformativeCount is the number of performatives (discriminants are below it).
const PerformativeCount = 22

var performativeNames = [PerformativeCount]string{
	"accept-proposal", "agree", "cancel", "cfp", "confirm", "disconfirm", "failure", "inform",
	"inform-if", "inform-ref", "not-understood", "propagate", "propose", "proxy", "query-if",
	"query-ref", "refuse", "reject-proposal", "request", "request-when", "request-whenever",
	"subscribe",
}

// String is the FIPA name, e.g. "accept-proposal".
func (p Performative) String() string {
	if int(p) < PerformativeCount {
		return performativeNames[p]
	}
	return "unknown"
}

// ParsePerformative maps a FIPA name (case-insensitive) to its Performative.
func ParsePerformative(name string) (Performative, bool) {
	n := strings.ToLower(name)
	for i, s := range performativeNames {
		if s == n {
			return Performative(i), true
		}
	}
	return 0, false
}

// LogLevel is the level of a log line (the `log-level` enum of the world).
type LogLevel uint8

const (
	LevelTrace LogLevel = iota
	LevelDebug
	LevelInfo
	LevelWarn
	LevelError
)

// AgentID is a FIPA agent identifier; Name is globally unique (`local@platform`).
type AgentID struct {
	Name      string
	Addresses []string
}

// KeyValue is a user parameter, an init config entry or a service property.
type KeyValue struct {
	Key   string
	Value string
}

// Message is a FIPA ACL message (SC00061): the 13 parameters plus user-defined `X-` parameters.
//
// Optional string parameters are plain strings: "" is absent on the wire (and an absent one
// arrives as ""). ReplyBy is milliseconds since the Unix epoch, 0 when absent.
type Message struct {
	Performative Performative
	// Sender is stamped by the runtime from the sending agent's identity; ignored on send.
	Sender         *AgentID
	Receivers      []AgentID
	ReplyTo        []AgentID
	Content        string
	Language       string
	Encoding       string
	Ontology       string
	Protocol       string
	ConversationID string
	ReplyWith      string
	InReplyTo      string
	ReplyBy        uint64
	// UserParams keep their order; keys keep their `X-` prefix.
	UserParams []KeyValue
}

// NewMessage is a message with the given performative, receivers and content.
func NewMessage(p Performative, content string, receivers ...AgentID) *Message {
	return &Message{Performative: p, Content: content, Receivers: receivers}
}

// SenderName is the sender's name, or "" when the message has none.
func (m *Message) SenderName() string {
	if m.Sender == nil {
		return ""
	}
	return m.Sender.Name
}

// Param is the value of a user parameter (keys compare case-insensitively, as in FIPA).
func (m *Message) Param(key string) (string, bool) {
	for _, kv := range m.UserParams {
		if strings.EqualFold(kv.Key, key) {
			return kv.Value, true
		}
	}
	return "", false
}

// SetParam sets (or replaces) a user parameter; the `X-` prefix FIPA requires is added if missing.
func (m *Message) SetParam(key, value string) *Message {
	if !strings.HasPrefix(key, "X-") && !strings.HasPrefix(key, "x-") {
		key = "X-" + key
	}
	for i := range m.UserParams {
		if strings.EqualFold(m.UserParams[i].Key, key) {
			m.UserParams[i].Value = value
			return m
		}
	}
	m.UserParams = append(m.UserParams, KeyValue{key, value})
	return m
}

// ServiceDescription is a service an agent advertises in the directory (FIPA DF).
type ServiceDescription struct {
	Name       string
	Type       string
	Protocols  []string
	Ontologies []string
	Languages  []string
	Properties []KeyValue
}

// InitContext is what the agent learns about itself when it starts.
type InitContext struct {
	Self   AgentID
	Config []KeyValue
}

// Get is a configuration value and whether the deployment set it.
func (c *InitContext) Get(key string) (string, bool) {
	for _, kv := range c.Config {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return "", false
}

// GetOr is a configuration value, or def when the deployment did not set it.
func (c *InitContext) GetOr(key, def string) string {
	if v, ok := c.Get(key); ok {
		return v
	}
	return def
}
