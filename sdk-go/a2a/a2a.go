// Package a2a calls A2A agents (A2A 1.0 JSON-RPC SendMessage, SendStreamingMessage, GetTask,
// CancelTask, or 0.3's message/send, message/stream, tasks/get, tasks/cancel; decisions 1951,
// 2040) over the deployment's allow-listed outbound HTTP (package http, decision 1601): the Go
// twin of @caxton/sdk-js/a2a.
//
//	id, err := a2a.Send(&a2a.Call{URL: "https://agent.example/a2a/jsonrpc", Text: "hello", Token: t, Context: whom})
//	// err is an *a2a.Error of kind Refused: the call could not leave
//	...later, in Handle:
//	if r, ok := a2a.ResponseOf(msg); ok {
//		if r.Err != nil { ... r.Err.Kind, r.Err.Reason ... } else { ... r.Result.State, r.Result.Text ... }
//	}
//
// Like any HTTP call it never blocks: the request leaves when this handling completes and the
// answer comes back later as a message; Context travels with it. The host must be on the
// deployment's allow-list (caxton deploy --allow-http). An agent's HTTP call answers once, with
// the whole body, so Stream's answer is the stream read whole when it ends.
package a2a

import (
	"strconv"
	"strings"
	"sync/atomic"

	"caxton.dev/caxton"
	"caxton.dev/caxton/http"
)

// ErrorKind says why an A2A call has no usable result.
type ErrorKind uint8

const (
	// Refused: the call never left (not allow-listed, invalid, quota): Fetch refused it.
	Refused ErrorKind = iota
	// NoResponse: timeout, connect-failed, too-large… (Failure).
	NoResponse
	// HTTPStatus: a status other than 2xx (Status).
	HTTPStatus
	// RPCError: a JSON-RPC error (Code).
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
	// Failure says why there was no response (NoResponse).
	Failure string
}

func (e *Error) Error() string { return "a2a: " + e.Kind.String() + ": " + e.Reason }

func malformed(reason string) *Error { return &Error{Kind: Malformed, Reason: reason} }

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
	Version   string
	ContextID string
	// MessageID is made with caxton.NewID when "".
	MessageID string
	TimeoutMs uint32
	// Context is echoed back with the answer (e.g. whom to answer).
	Context string
}

// TaskCall is one call about a task (Get, Cancel).
type TaskCall struct {
	URL     string
	TaskID  string
	Token   string
	Version string
	// HistoryLength (Get only): how much of the task's history to return, when HasHistoryLength.
	HistoryLength    uint32
	HasHistoryLength bool
	TimeoutMs        uint32
	Context          string
}

// The marks of an A2A call's HTTP context, so its answer is told from the agent's other HTTP
// answers (the same marks as the other SDKs').
const (
	Mark       = "caxton-a2a:"
	StreamMark = "caxton-a2a-sse:"
)

var sequence atomic.Uint64

func isV1(version string) (bool, error) {
	switch version {
	case "", V1_0:
		return true, nil
	case V0_3:
		return false, nil
	}
	return false, &Error{Kind: Refused, Reason: "invalid-request: the A2A version must be 1.0 or 0.3, got " + strconv.Quote(version)}
}

func rpcRequest(url, token string, v1 bool, timeoutMs uint32, context, accept string, methods [2]string, params string) *http.Request {
	method := methods[1]
	if v1 {
		method = methods[0]
	}
	body := `{"jsonrpc":"2.0","id":` + strconv.FormatUint(sequence.Add(1), 10) + `,"method":` + quote(method) + `,"params":` + params + `}`
	headers := []caxton.KeyValue{{Key: "content-type", Value: "application/json"}, {Key: "accept", Value: accept}}
	if v1 {
		headers = append(headers, caxton.KeyValue{Key: "a2a-version", Value: "1.0"})
	}
	if token != "" {
		headers = append(headers, caxton.KeyValue{Key: "authorization", Value: "Bearer " + token})
	}
	return &http.Request{Method: "POST", URL: url, Headers: headers, Body: body, TimeoutMs: timeoutMs, Context: context}
}

func messageRequest(c *Call, methods [2]string, accept, mark string) (*http.Request, error) {
	v1, err := isV1(c.Version)
	if err != nil {
		return nil, err
	}
	id := c.MessageID
	if id == "" {
		id = caxton.NewID()
	}
	contextID := ""
	if c.ContextID != "" {
		contextID = `,"contextId":` + quote(c.ContextID)
	}
	var params string
	if v1 {
		params = `{"message":{"messageId":` + quote(id) + `,"role":"ROLE_USER","parts":[{"text":` + quote(c.Text) + `}]` + contextID + `},"configuration":{"returnImmediately":false}}`
	} else {
		params = `{"message":{"kind":"message","messageId":` + quote(id) + `,"role":"user","parts":[{"kind":"text","text":` + quote(c.Text) + `}]` + contextID + `},"configuration":{"blocking":true}}`
	}
	return rpcRequest(c.URL, c.Token, v1, c.TimeoutMs, mark+c.Context, accept, methods, params), nil
}

func taskRequest(c *TaskCall, methods [2]string, history bool) (*http.Request, error) {
	v1, err := isV1(c.Version)
	if err != nil {
		return nil, err
	}
	params := `{"id":` + quote(c.TaskID)
	if history && c.HasHistoryLength {
		params += `,"historyLength":` + strconv.FormatUint(uint64(c.HistoryLength), 10)
	}
	return rpcRequest(c.URL, c.Token, v1, c.TimeoutMs, Mark+c.Context, "application/json", methods, params+"}"), nil
}

// SendRequest is the HTTP request of one SendMessage / message/send (blocking: the answer is the task as it ended).
func SendRequest(c *Call) (*http.Request, error) {
	return messageRequest(c, [2]string{"SendMessage", "message/send"}, "application/json", Mark)
}

// StreamRequest is the HTTP request of one SendStreamingMessage / message/stream (server-sent events, read whole).
func StreamRequest(c *Call) (*http.Request, error) {
	return messageRequest(c, [2]string{"SendStreamingMessage", "message/stream"}, "text/event-stream", StreamMark)
}

// GetTaskRequest is the HTTP request of one GetTask / tasks/get.
func GetTaskRequest(c *TaskCall) (*http.Request, error) {
	return taskRequest(c, [2]string{"GetTask", "tasks/get"}, true)
}

// CancelTaskRequest is the HTTP request of one CancelTask / tasks/cancel.
func CancelTaskRequest(c *TaskCall) (*http.Request, error) {
	return taskRequest(c, [2]string{"CancelTask", "tasks/cancel"}, false)
}

func fetch(r *http.Request, err error) (string, error) {
	if err != nil {
		return "", err
	}
	id, err := http.Fetch(r)
	if err != nil {
		if he, ok := err.(*http.Error); ok {
			return "", &Error{Kind: Refused, Reason: he.Kind.String() + ": " + he.Message}
		}
		return "", &Error{Kind: Refused, Reason: err.Error()}
	}
	return id, nil
}

// Send sends the message and returns the HTTP request id (the answer's in-reply-to). The error is
// an *Error of kind Refused: the call cannot leave and nothing is sent.
func Send(c *Call) (string, error) { return fetch(SendRequest(c)) }

// Stream is Send streamed: the answer comes back once the stream ends, as one Result whose States
// lists every state the task passed through.
func Stream(c *Call) (string, error) { return fetch(StreamRequest(c)) }

// Get asks for the task's state now.
func Get(c *TaskCall) (string, error) { return fetch(GetTaskRequest(c)) }

// Cancel cancels the task; the answer is the task as the cancel left it.
func Cancel(c *TaskCall) (string, error) { return fetch(CancelTaskRequest(c)) }

// Response is the answer to an A2A call: Result, or Err.
type Response struct {
	RequestID string
	// Context is the caller's own context, handed back.
	Context string
	Result  *Result
	Err     *Error
}

// ResponseOf reads m as the answer to an A2A call; false for any other message, including the
// answer to a plain http.Fetch.
func ResponseOf(m *caxton.Message) (*Response, bool) {
	r, ok := http.ResponseOf(m)
	if !ok {
		return nil, false
	}
	stream := strings.HasPrefix(r.Context, StreamMark)
	if !stream && !strings.HasPrefix(r.Context, Mark) {
		return nil, false
	}
	out := &Response{RequestID: r.RequestID}
	if stream {
		out.Context = r.Context[len(StreamMark):]
	} else {
		out.Context = r.Context[len(Mark):]
	}
	out.Result, out.Err = ResultFromHTTP(r, stream)
	return out, true
}
