// Package a2a calls A2A agents through the host (caxton:agent/a2a@0.1.0, decision 2193): the
// host builds A2A's JSON-RPC request (1.0's SendMessage, SendStreamingMessage, GetTask,
// CancelTask, or 0.3's message/send, message/stream, tasks/get, tasks/cancel), sends it over the
// deployment's allow-listed outbound HTTP and reads the answer, so this package builds and parses
// no JSON. The Go twin of @caxton/sdk-js/a2a.
//
//	id, err := a2a.Send(&a2a.Call{URL: "https://agent.example/a2a/jsonrpc", Text: "hello", Token: t, Context: whom})
//	// err is an *a2a.Error of kind Refused: the call could not leave
//	...later, in Handle:
//	if r, ok := a2a.ResponseOf(msg); ok {
//		if r.Err != nil { ... r.Err.Kind, r.Err.Reason ... } else { ... r.Result.State, r.Result.Text ... }
//	}
//
// Like any HTTP call it never blocks: the request leaves when this handling completes and the
// answer comes back later as a message from http@<platform>; Context travels with it. The host
// must be on the deployment's allow-list (caxton deploy --allow-http). Stream's answer is the
// stream read whole when it ends.
//
// Only an agent that calls Send, Stream, Get or Cancel imports the interface.
package a2a

import (
	"strconv"
	"strings"

	"caxton.dev/caxton"
	"caxton.dev/caxton/http"
)

// ErrorKind says why an A2A call has no usable result.
type ErrorKind uint8

const (
	// Refused: the call never left (not allow-listed, invalid, quota): start refused it.
	Refused ErrorKind = iota
	// NoResponse: timeout, connect-failed, too-large… (Failure).
	NoResponse
	// HTTPStatus: a status other than 2xx (Status).
	HTTPStatus
	// RPCError: a JSON-RPC error (Code, when HasCode).
	RPCError
	// Malformed: not a JSON-RPC answer with a Task or a Message.
	Malformed
)

var kindNames = [...]string{"refused", "no-response", "http-status", "rpc-error", "malformed"}

func (k ErrorKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "a2a-error-kind(" + strconv.Itoa(int(k)) + ")"
}

// Error is why an A2A call has no usable result.
type Error struct {
	Kind   ErrorKind
	Reason string
	// Status is the HTTP status (HTTPStatus).
	Status int
	// Code is the JSON-RPC error code (RPCError, when HasCode).
	Code    int64
	HasCode bool
	// Failure says why there was no response (NoResponse): timeout, connect-failed…
	Failure string
}

func (e *Error) Error() string { return "a2a: " + e.Kind.String() + ": " + e.Reason }

// Versions: "1.0" (the default: SendMessage…, header A2A-Version: 1.0) and "0.3" (message/send…).
const (
	V1_0 = "1.0"
	V0_3 = "0.3"
)

// Call is one message to send (Send, Stream). Following the SDK's convention, "" means none.
type Call struct {
	// URL is the agent's JSON-RPC endpoint (its card's JSONRPC interface); its host must be allow-listed.
	URL string
	// Text is the message's one text part.
	Text string
	// Token is sent as Authorization: Bearer <token>.
	Token string
	// Version is V1_0 (when "") or V0_3.
	Version string
	// ContextID is the A2A context to continue.
	ContextID string
	// Headers are added to the request (e.g. an API key), checked as an HTTP call's.
	Headers []caxton.KeyValue
	// TimeoutMs, when not 0, is shorter than the deployment's timeout.
	TimeoutMs uint32
	// Context is echoed back with the answer (e.g. whom to answer).
	Context string
}

// TaskCall is one call about a task (Get, Cancel).
type TaskCall struct {
	URL       string
	TaskID    string
	Token     string
	Version   string
	Headers   []caxton.KeyValue
	TimeoutMs uint32
	Context   string
}

// Operation is the WIT operation enum (same order).
type Operation uint8

const (
	OpSend Operation = iota
	OpStream
	OpGetTask
	OpCancelTask
)

// ProtocolVersion is the WIT protocol-version enum (same order).
type ProtocolVersion uint8

const (
	ProtocolV1  ProtocolVersion = iota // A2A 1.0
	ProtocolV03                        // A2A 0.3
)

// Request is the WIT call record. Following the SDK's convention, "" means none for ContextID
// and Context and 0 means none for TimeoutMs.
type Request struct {
	Operation Operation
	URL       string
	Version   ProtocolVersion
	// Subject is the text (OpSend, OpStream) or the task's id (OpGetTask, OpCancelTask).
	Subject   string
	ContextID string
	Headers   []caxton.KeyValue
	TimeoutMs uint32
	Context   string
}

// Starter is the a2a interface. In a built agent it is the runtime; elsewhere a Recorder
// (replace it with Use in tests). Its error is an *http.Error, the WIT http-error.
type Starter interface {
	Start(r *Request) (string, error)
}

var starter Starter = defaultStarter

// Use replaces the starter (for tests outside WebAssembly) and returns the previous one.
func Use(s Starter) Starter {
	prev := starter
	starter = s
	return prev
}

// protocols: each version's WIT protocol-version ("" is the default, 1.0).
var protocols = map[string]ProtocolVersion{"": ProtocolV1, V1_0: ProtocolV1, V0_3: ProtocolV03}

func start(op Operation, url, subject, token, version, contextID string, headers []caxton.KeyValue, timeoutMs uint32, context string) (string, error) {
	v, ok := protocols[version]
	if !ok {
		return "", &Error{Kind: Refused, Reason: "invalid-request: the A2A version must be 1.0 or 0.3, got " + strconv.Quote(version)}
	}
	sent := append([]caxton.KeyValue(nil), headers...)
	if token != "" {
		sent = append(sent, caxton.KeyValue{Key: "authorization", Value: "Bearer " + token})
	}
	id, err := starter.Start(&Request{Operation: op, URL: url, Version: v, Subject: subject, ContextID: contextID, Headers: sent, TimeoutMs: timeoutMs, Context: context})
	if err != nil {
		if he, ok := err.(*http.Error); ok {
			return "", &Error{Kind: Refused, Reason: he.Kind.String() + ": " + he.Message}
		}
		return "", &Error{Kind: Refused, Reason: err.Error()}
	}
	return id, nil
}

// Send sends the message and returns the call's id (the answer's in-reply-to); the host waits
// for the task to end. The error is an *Error of kind Refused: the call cannot leave and nothing
// is sent.
func Send(c *Call) (string, error) {
	return start(OpSend, c.URL, c.Text, c.Token, c.Version, c.ContextID, c.Headers, c.TimeoutMs, c.Context)
}

// Stream is Send streamed: the answer comes back once the stream ends, as one Result whose States
// lists every state the task passed through. Give it a TimeoutMs as long as the task.
func Stream(c *Call) (string, error) {
	return start(OpStream, c.URL, c.Text, c.Token, c.Version, c.ContextID, c.Headers, c.TimeoutMs, c.Context)
}

// Get asks for the task's state now.
func Get(c *TaskCall) (string, error) {
	return start(OpGetTask, c.URL, c.TaskID, c.Token, c.Version, "", c.Headers, c.TimeoutMs, c.Context)
}

// Cancel cancels the task; the answer is the task as the cancel left it.
func Cancel(c *TaskCall) (string, error) {
	return start(OpCancelTask, c.URL, c.TaskID, c.Token, c.Version, "", c.Headers, c.TimeoutMs, c.Context)
}

// Result is the Task or the Message the agent answered, as the host read it.
type Result struct {
	// IsTask: a Task (TaskID); else a Message (MessageID).
	IsTask    bool
	TaskID    string
	MessageID string
	ContextID string
	// State is the task's state in lower case with dashes (completed, failed, input-required…); "" for a Message.
	State string
	// Final: the task ended (completed, failed, canceled, rejected); true for a Message.
	Final bool
	// Text is the artifacts' text, else the status message's (a Message: its text); parts joined by newlines.
	Text string
	// States (Stream only, else nil): every state the task passed through, in order.
	States []string
}

// Response is the answer to an A2A call: Result, or Err.
type Response struct {
	RequestID string
	// Context is the caller's own context, handed back.
	Context string
	Result  *Result
	Err     *Error
}

// The user parameters of an A2A call's answer (wit/agent.wit, interface a2a).
const (
	ResultParam    = "X-caxton-a2a-result"
	StateParam     = "X-caxton-a2a-state"
	FinalParam     = "X-caxton-a2a-final"
	TaskIDParam    = "X-caxton-a2a-task-id"
	ContextIDParam = "X-caxton-a2a-context-id"
	MessageIDParam = "X-caxton-a2a-message-id"
	StatesParam    = "X-caxton-a2a-states"
	ErrorParam     = "X-caxton-a2a-error"
	CodeParam      = "X-caxton-a2a-code"
)

// ResponseOf reads m as the answer to an A2A call; false for any other message, including the
// answer to a plain http.Fetch.
func ResponseOf(m *caxton.Message) (*Response, bool) {
	if m.InReplyTo == "" || (m.Performative != caxton.Inform && m.Performative != caxton.Failure) || !http.IsHTTPMessage(m) {
		return nil, false
	}
	kind, isResult := m.Param(ResultParam)
	failed, isError := m.Param(ErrorParam)
	if !isResult && !isError {
		return nil, false
	}
	out := &Response{RequestID: m.InReplyTo}
	out.Context, _ = m.Param(http.ContextParam)
	if isError {
		e := &Error{Kind: Malformed, Reason: m.Content}
		for k, name := range kindNames[1:] {
			if failed == name {
				e.Kind = ErrorKind(k + 1)
			}
		}
		if s, ok := m.Param(http.StatusParam); ok && e.Kind == HTTPStatus {
			e.Status, _ = strconv.Atoi(s)
		}
		if c, ok := m.Param(CodeParam); ok {
			if code, err := strconv.ParseInt(c, 10, 64); err == nil {
				e.Code, e.HasCode = code, true
			}
		}
		e.Failure, _ = m.Param(http.FailureParam)
		out.Err = e
		return out, true
	}
	r := &Result{Text: m.Content}
	r.ContextID, _ = m.Param(ContextIDParam)
	if states, ok := m.Param(StatesParam); ok {
		r.States = []string{}
		if states != "" {
			r.States = strings.Split(states, ",")
		}
	}
	if kind == "task" {
		r.IsTask = true
		r.TaskID, _ = m.Param(TaskIDParam)
		var ok bool
		if r.State, ok = m.Param(StateParam); !ok {
			r.State = "unknown"
		}
		final, _ := m.Param(FinalParam)
		r.Final = final == "true"
	} else {
		r.MessageID, _ = m.Param(MessageIDParam)
		r.Final = true
	}
	out.Result = r
	return out, true
}
