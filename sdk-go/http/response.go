package http

import (
	"strconv"
	"strings"

	"caxton.dev/caxton"
)

// The user parameters of the gateway's answers.
const (
	StatusParam       = "X-caxton-http-status"
	ContextParam      = "X-caxton-http-context"
	FailureParam      = "X-caxton-failure"
	HeaderParamPrefix = "X-caxton-http-header-"
)

// Response is the answer to a Fetch, read from the message http@<platform> sent.
type Response struct {
	// RequestID is the id Fetch returned (the message's in-reply-to).
	RequestID string
	// Context is the request's context ("" when it had none).
	Context string
	// ConversationID is the conversation of the handling that called Fetch.
	ConversationID string
	// Status is the HTTP status; 0 when there was no response (see Failure).
	Status int
	// Failure says why there is no response (timeout, too-large, address-denied, interrupted, …).
	Failure string
	// Body is the response body (base64 when BodyBase64: it was not UTF-8), or the failure reason.
	Body       string
	BodyBase64 bool
	// Headers the runtime passed on, names in lower case.
	Headers []caxton.KeyValue
}

// IsHTTPMessage is true for a message from this agent's platform's HTTP gateway, http@<platform>
// (exactly "http@" while the agent's own name has no platform): never another platform's, whose
// messages can arrive through a transport. A2A answers are read with it too.
func IsHTTPMessage(m *caxton.Message) bool {
	self, platform := caxton.Self().Name, ""
	if at := strings.LastIndexByte(self, '@'); at >= 0 {
		platform = self[at+1:]
	}
	return m.Sender != nil && m.Sender.Name == "http@"+platform
}

func param(m *caxton.Message, key string) string {
	for i := len(m.UserParams) - 1; i >= 0; i-- {
		if m.UserParams[i].Key == key {
			return m.UserParams[i].Value
		}
	}
	return ""
}

// ResponseOf reads the answer m carries; false when m is not one (another sender, no in-reply-to,
// or neither inform nor failure).
func ResponseOf(m *caxton.Message) (*Response, bool) {
	if !IsHTTPMessage(m) || m.InReplyTo == "" { // an answer replies to its call
		return nil, false
	}
	r := &Response{RequestID: m.InReplyTo, Context: param(m, ContextParam), ConversationID: m.ConversationID, Body: m.Content, BodyBase64: m.Encoding == "base64"}
	switch m.Performative {
	case caxton.Inform:
		r.Status, _ = strconv.Atoi(param(m, StatusParam))
	case caxton.Failure:
		if r.Failure = param(m, FailureParam); r.Failure == "" {
			r.Failure = "unknown"
		}
	default:
		return nil, false
	}
	for _, kv := range m.UserParams {
		if name, ok := strings.CutPrefix(kv.Key, HeaderParamPrefix); ok {
			r.Headers = append(r.Headers, caxton.KeyValue{Key: name, Value: kv.Value})
		}
	}
	return r, true
}

// OK is a 2xx status.
func (r *Response) OK() bool { return r.Status >= 200 && r.Status < 300 }

// Header is a response header by (case-insensitive) name.
func (r *Response) Header(name string) string {
	name = strings.ToLower(name)
	for _, kv := range r.Headers {
		if kv.Key == name {
			return kv.Value
		}
	}
	return ""
}
