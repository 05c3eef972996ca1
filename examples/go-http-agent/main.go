// A gateway to one HTTP API: a request whose content is a path (e.g. "/v1/rates?base=EUR") is
// fetched from the configured base-url through caxton:agent/http; the asker gets an inform with
// the response body (any 2xx), or a failure naming the status or why there was no response.
//
// The agent never waits: Fetch returns at once, the agent's handling ends, and the answer comes
// back later as a message from http@<platform>. Whom to answer travels in the request's context,
// which the runtime echoes on the answer, so the agent keeps no state between the two.
package main

import (
	"strconv"
	"strings"

	"caxton.dev/caxton"
	"caxton.dev/caxton/http"
)

type gateway struct {
	caxton.BaseAgent
	baseURL string
}

var agent = &gateway{}

func (g *gateway) Init(ctx *caxton.InitContext) error {
	base, ok := ctx.Get("base-url")
	if !ok || !(strings.HasPrefix(base, "https://") || strings.HasPrefix(base, "http://")) {
		return &configError{"config base-url must be an http(s) URL, e.g. https://api.example.com"}
	}
	g.baseURL = strings.TrimSuffix(base, "/")
	return nil
}

func (g *gateway) Handle(msg *caxton.Message) error {
	if r, ok := http.ResponseOf(msg); ok {
		return answer(r)
	}
	if msg.Performative != caxton.Request {
		return caxton.NotUnderstoodTo(msg, "send a request whose content is a path, e.g. /v1/status")
	}
	path := strings.TrimSpace(msg.Content)
	if !strings.HasPrefix(path, "/") {
		return caxton.RefuseTo(msg, "the content must be a path starting with /")
	}
	_, err := http.Fetch(&http.Request{
		Method:  "GET",
		URL:     g.baseURL + path,
		Headers: []caxton.KeyValue{{Key: "accept", Value: "application/json"}},
		Context: msg.SenderName() + "\n" + msg.ReplyWith,
	})
	if err != nil {
		// Refused at once (not on the allow-list, invalid, over quota): nothing was sent.
		return caxton.RefuseTo(msg, err.Error())
	}
	return caxton.AgreeTo(msg, "")
}

// answer forwards an HTTP answer to whoever asked (named in the request's context); the answer
// is already in the asker's conversation (the runtime keeps the conversation-id of the handling
// that called Fetch).
func answer(r *http.Response) error {
	asker, replyWith, _ := strings.Cut(r.Context, "\n")
	if asker == "" {
		caxton.Warn("an HTTP answer without a context: " + r.RequestID)
		return nil
	}
	out := caxton.NewMessage(caxton.Inform, r.Body, caxton.AgentID{Name: asker})
	switch {
	case r.Failure != "":
		out.Performative, out.Content = caxton.Failure, "no response: "+r.Failure
	case !r.OK():
		out.Performative, out.Content = caxton.Failure, "HTTP "+strconv.Itoa(r.Status)
	}
	if r.BodyBase64 {
		out.Encoding = "base64"
	}
	out.InReplyTo = replyWith
	out.Protocol = caxton.ProtocolRequest
	out.ConversationID = r.ConversationID
	return caxton.Send(out)
}

type configError struct{ msg string }

func (e *configError) Error() string { return e.msg }

func init() { caxton.Register(agent) }

// main is never called: the agent is a reactor driven by the runtime.
func main() {}
