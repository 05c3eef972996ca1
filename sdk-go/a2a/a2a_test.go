package a2a

import (
	"strings"
	"testing"

	"caxton.dev/caxton"
	"caxton.dev/caxton/http"
)

// The A2A helper outside WebAssembly: the call record it lowers (the core-wasm ABI of
// caxton:agent/a2a@0.1.0 start), what Send, Stream, Get and Cancel start and how a refusal reads,
// and the answers the host delivers — results and every failure kind — read from their message
// parameters, never a JSON body.

// The agent these tests run as: answers come from its platform's gateway, http@caxton.
func init() { caxton.UseSelf(caxton.AgentID{Name: "me@caxton"}) }

func TestSendStreamGetAndCancelStartTheCallAndTheTokenIsABearerHeader(t *testing.T) {
	rec := &Recorder{}
	prev := Use(rec)
	defer Use(prev)
	id, err := Send(&Call{URL: "https://agent/rpc", Text: "hi", Token: "tok", ContextID: "c", Context: "whom", TimeoutMs: 900,
		Headers: []caxton.KeyValue{{Key: "x-api-key", Value: "k"}}})
	if err != nil || id != "a2a-1" {
		t.Fatalf("sent: %q %v", id, err)
	}
	r := rec.Calls[0].Request
	if r.Operation != OpSend || r.URL != "https://agent/rpc" || r.Version != ProtocolV1 || r.Subject != "hi" || r.ContextID != "c" || r.Context != "whom" || r.TimeoutMs != 900 {
		t.Fatalf("send: %+v", r)
	}
	if len(r.Headers) != 2 || r.Headers[0] != (caxton.KeyValue{Key: "x-api-key", Value: "k"}) || r.Headers[1] != (caxton.KeyValue{Key: "authorization", Value: "Bearer tok"}) {
		t.Fatalf("headers: %+v", r.Headers)
	}
	Stream(&Call{URL: "http://a/rpc", Text: "x", Version: V0_3})
	Get(&TaskCall{URL: "http://a/rpc", TaskID: "t-1"})
	Cancel(&TaskCall{URL: "http://a/rpc", TaskID: "t-2", Version: V1_0})
	if len(rec.Calls) != 4 {
		t.Fatalf("calls: %+v", rec.Calls)
	}
	s, g, c := rec.Calls[1].Request, rec.Calls[2].Request, rec.Calls[3].Request
	if s.Operation != OpStream || s.Version != ProtocolV03 || len(s.Headers) != 0 || g.Operation != OpGetTask || g.Subject != "t-1" || c.Operation != OpCancelTask || c.Subject != "t-2" {
		t.Fatalf("stream, get, cancel: %+v %+v %+v", s, g, c)
	}
}

func TestARefusalOrAnUnknownVersionIsATypedRefusedAndNothingStarts(t *testing.T) {
	rec := &Recorder{}
	prev := Use(rec)
	defer Use(prev)
	_, err := Get(&TaskCall{URL: "ftp://agent/rpc", TaskID: "t"})
	e, ok := err.(*Error)
	if !ok || e.Kind != Refused || e.Error() != "a2a: refused: invalid-request: not an http(s) URL: ftp://agent/rpc" {
		t.Fatalf("refused: %v", err)
	}
	_, err = Send(&Call{URL: "http://a", Text: "x", Version: "2.0"})
	if e, ok := err.(*Error); !ok || e.Kind != Refused || !strings.HasPrefix(e.Reason, "invalid-request: ") || len(rec.Calls) != 0 {
		t.Fatalf("an unknown version is refused: %v %+v", err, rec.Calls)
	}
}

// answer is a message as the host delivers an A2A call's answer.
func answer(p caxton.Performative, content string, params ...string) *caxton.Message {
	m := caxton.NewMessage(p, content)
	m.Sender = &caxton.AgentID{Name: "http@caxton"}
	m.InReplyTo = "a2a-9"
	for i := 0; i+1 < len(params); i += 2 {
		m.SetParam(params[i], params[i+1])
	}
	return m
}

func TestATaskAMessageAndAStreamReadFromTheParameters(t *testing.T) {
	r, ok := ResponseOf(answer(caxton.Inform, "a\nb", ResultParam, "task", StateParam, "completed", FinalParam, "true",
		TaskIDParam, "t", ContextIDParam, "c", http.StatusParam, "200", http.ContextParam, "bob"))
	if !ok || r.RequestID != "a2a-9" || r.Context != "bob" || r.Err != nil {
		t.Fatalf("task: %+v", r)
	}
	if x := r.Result; !x.IsTask || x.TaskID != "t" || x.ContextID != "c" || x.State != "completed" || !x.Final || x.Text != "a\nb" || x.States != nil {
		t.Fatalf("task: %+v", x)
	}
	r, _ = ResponseOf(answer(caxton.Inform, "more?", ResultParam, "task", StateParam, "input-required", FinalParam, "false", TaskIDParam, "t"))
	if x := r.Result; x.State != "input-required" || x.Final || x.ContextID != "" || r.Context != "" {
		t.Fatalf("input-required: %+v", x)
	}
	r, _ = ResponseOf(answer(caxton.Inform, "hi", ResultParam, "message", MessageIDParam, "m1"))
	if x := r.Result; x.IsTask || x.MessageID != "m1" || x.State != "" || !x.Final || x.Text != "hi" {
		t.Fatalf("message: %+v", x)
	}
	r, _ = ResponseOf(answer(caxton.Inform, "HELLO", ResultParam, "task", StateParam, "completed", FinalParam, "true", TaskIDParam, "t",
		StatesParam, "submitted,working,completed"))
	if x := r.Result; strings.Join(x.States, ",") != "submitted,working,completed" || len(x.States) != 3 {
		t.Fatalf("stream: %+v", x)
	}
	r, _ = ResponseOf(answer(caxton.Inform, "", ResultParam, "message", StatesParam, ""))
	if x := r.Result; x.States == nil || len(x.States) != 0 {
		t.Fatalf("a stream that passed no state: %+v", x)
	}
	r, _ = ResponseOf(answer(caxton.Inform, "", ResultParam, "task"))
	if x := r.Result; x.State != "unknown" || x.Final {
		t.Fatalf("a task without its state: %+v", x)
	}
}

func TestEveryFailureKindIsATypedError(t *testing.T) {
	r, ok := ResponseOf(answer(caxton.Failure, "Task not found (check the id)", ErrorParam, "rpc-error", CodeParam, "-32001",
		http.StatusParam, "200", http.ContextParam, "bob"))
	if !ok || r.Result != nil || r.Context != "bob" || r.Err.Kind != RPCError || !r.Err.HasCode || r.Err.Code != -32001 || r.Err.Status != 0 ||
		r.Err.Error() != "a2a: rpc-error: Task not found (check the id)" {
		t.Fatalf("rpc error: %+v %+v", r, r.Err)
	}
	r, _ = ResponseOf(answer(caxton.Failure, "HTTP 401: missing token", ErrorParam, "http-status", http.StatusParam, "401"))
	if e := r.Err; e.Kind != HTTPStatus || e.Status != 401 || e.HasCode || e.Error() != "a2a: http-status: HTTP 401: missing token" {
		t.Fatalf("401: %+v", e)
	}
	r, _ = ResponseOf(answer(caxton.Failure, "no response: too-large", ErrorParam, "no-response", http.FailureParam, "too-large"))
	if e := r.Err; e.Kind != NoResponse || e.Failure != "too-large" || e.Error() != "a2a: no-response: no response: too-large" {
		t.Fatalf("no response: %+v", e)
	}
	r, _ = ResponseOf(answer(caxton.Failure, "the answer is not JSON: <html>", ErrorParam, "malformed", http.StatusParam, "200"))
	if e := r.Err; e.Kind != Malformed || e.Status != 0 || e.Reason != "the answer is not JSON: <html>" {
		t.Fatalf("malformed: %+v", e)
	}
	r, _ = ResponseOf(answer(caxton.Failure, "?", ErrorParam, "something-new", CodeParam, "not a number"))
	if e := r.Err; e.Kind != Malformed || e.HasCode {
		t.Fatalf("an unknown kind: %+v", e)
	}
}

func TestOnlyTheGatewaysA2AAnswersAreRead(t *testing.T) {
	task := []string{ResultParam, "task", StateParam, "completed", FinalParam, "true", TaskIDParam, "t"}
	if _, ok := ResponseOf(answer(caxton.Inform, "{}", http.StatusParam, "200", http.ContextParam, "mine")); ok {
		t.Fatal("a plain HTTP answer is not an A2A answer")
	}
	m := answer(caxton.Inform, "", task...)
	m.Sender = &caxton.AgentID{Name: "mallory@caxton"}
	if _, ok := ResponseOf(m); ok {
		t.Fatal("an agent's message is not an A2A answer")
	}
	m = answer(caxton.Inform, "", task...)
	m.InReplyTo = ""
	if _, ok := ResponseOf(m); ok {
		t.Fatal("an answer replies to its call")
	}
	if _, ok := ResponseOf(answer(caxton.Request, "", task...)); ok {
		t.Fatal("an answer is inform or failure")
	}
	if _, ok := ResponseOf(answer(caxton.Inform, "", task...)); !ok {
		t.Fatal("http@<own platform> answers")
	}
	caxton.UseSelf(caxton.AgentID{Name: "me"})
	defer caxton.UseSelf(caxton.AgentID{Name: "me@caxton"})
	if _, ok := ResponseOf(answer(caxton.Inform, "", task...)); ok {
		t.Fatal("an agent whose name has no platform reads only http@'s answers")
	}
	m = answer(caxton.Inform, "", task...)
	m.Sender = &caxton.AgentID{Name: "http@elsewhere"}
	if _, ok := ResponseOf(m); ok {
		t.Fatal("another platform's gateway is not this agent's")
	}
}
