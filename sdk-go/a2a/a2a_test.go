package a2a

import (
	"encoding/json"
	"strings"
	"testing"

	"caxton.dev/caxton"
	"caxton.dev/caxton/http"
)

// The outbound A2A helper outside WebAssembly: the JSON-RPC requests it builds in both A2A
// versions, and what it reads from answers — Tasks and Messages in 1.0's and 0.3's JSON, streams,
// JSON-RPC errors, HTTP statuses, and what a hostile server might send — each a Result or a typed
// *Error, never a panic.

func header(r *http.Request, name string) (string, bool) {
	for _, kv := range r.Headers {
		if kv.Key == name {
			return kv.Value, true
		}
	}
	return "", false
}

func body(t *testing.T, r *http.Request) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(r.Body), &v); err != nil {
		t.Fatalf("the body is not JSON: %v: %s", err, r.Body)
	}
	return v
}

func TestSendBuildsA2A10SendMessageWithTheVersionHeaderAndTheMarkedContext(t *testing.T) {
	r, err := SendRequest(&Call{URL: "https://agent.example/a2a/jsonrpc", Text: "héllo \"q\"\n<&>", Token: "tok", Context: "whom", ContextID: "ctx-1", MessageID: "m-1"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Method != "POST" || r.URL != "https://agent.example/a2a/jsonrpc" || r.Context != "caxton-a2a:whom" {
		t.Fatalf("request: %+v", r)
	}
	if v, _ := header(r, "a2a-version"); v != "1.0" {
		t.Fatal("A2A-Version: 1.0")
	}
	if v, _ := header(r, "authorization"); v != "Bearer tok" {
		t.Fatal("the token as a bearer")
	}
	b := body(t, r)
	m := b["params"].(map[string]any)["message"].(map[string]any)
	if b["jsonrpc"] != "2.0" || b["method"] != "SendMessage" || m["role"] != "ROLE_USER" || m["messageId"] != "m-1" || m["contextId"] != "ctx-1" {
		t.Fatalf("body: %s", r.Body)
	}
	if m["parts"].([]any)[0].(map[string]any)["text"] != "héllo \"q\"\n<&>" {
		t.Fatalf("the text part: %s", r.Body)
	}
	if b["params"].(map[string]any)["configuration"].(map[string]any)["returnImmediately"] != false {
		t.Fatal("blocking")
	}
}

func TestVersion03SpeaksMessageSendAndTheOtherMethodsAreNamedPerVersion(t *testing.T) {
	r, _ := SendRequest(&Call{URL: "http://a/rpc", Text: "x", Version: V0_3, MessageID: "m"})
	if _, ok := header(r, "a2a-version"); ok {
		t.Fatal("0.3 sends no A2A-Version")
	}
	if _, ok := header(r, "authorization"); ok {
		t.Fatal("no token, no authorization")
	}
	b := body(t, r)
	m := b["params"].(map[string]any)["message"].(map[string]any)
	if b["method"] != "message/send" || m["kind"] != "message" || m["role"] != "user" || m["parts"].([]any)[0].(map[string]any)["kind"] != "text" {
		t.Fatalf("0.3 body: %s", r.Body)
	}
	s, _ := StreamRequest(&Call{URL: "http://a/rpc", Text: "x", MessageID: "m"})
	if a, _ := header(s, "accept"); body(t, s)["method"] != "SendStreamingMessage" || a != "text/event-stream" || s.Context != "caxton-a2a-sse:" {
		t.Fatalf("stream: %+v", s)
	}
	g, _ := GetTaskRequest(&TaskCall{URL: "http://a/rpc", TaskID: "t-1", HistoryLength: 3, HasHistoryLength: true, TimeoutMs: 900})
	if !strings.Contains(g.Body, `"method":"GetTask","params":{"id":"t-1","historyLength":3}`) || g.TimeoutMs != 900 {
		t.Fatalf("get: %s", g.Body)
	}
	c, _ := CancelTaskRequest(&TaskCall{URL: "http://a/rpc", TaskID: "t-1", Version: V0_3})
	if !strings.Contains(c.Body, `"method":"tasks/cancel","params":{"id":"t-1"}`) {
		t.Fatalf("cancel: %s", c.Body)
	}
	if _, err := SendRequest(&Call{URL: "http://a", Text: "x", Version: "2.0"}); err == nil || err.(*Error).Kind != Refused {
		t.Fatalf("an unknown version is refused: %v", err)
	}
}

func TestSendGoesThroughTheHTTPCallAndARefusalIsATypedRefused(t *testing.T) {
	rec := &http.Recorder{}
	prev := http.Use(rec)
	defer http.Use(prev)
	id, err := Send(&Call{URL: "http://agent/rpc", Text: "hi", MessageID: "m"})
	if err != nil || len(rec.Calls) != 1 || rec.Calls[0].ID != id {
		t.Fatalf("sent: %v %+v", err, rec.Calls)
	}
	_, err = Get(&TaskCall{URL: "ftp://agent/rpc", TaskID: "t"})
	e, ok := err.(*Error)
	if !ok || e.Kind != Refused || !strings.HasPrefix(e.Error(), "a2a: refused: invalid-request: ") {
		t.Fatalf("refused: %v", err)
	}
}

func TestTasksAndMessagesOfBothVersionsReadIntoOneShape(t *testing.T) {
	r, err := ResultFromBody(`{"jsonrpc":"2.0","id":1,"result":{"task":{"id":"t","contextId":"c","status":{"state":"TASK_STATE_COMPLETED","message":{"parts":[{"text":"status"}]}},"artifacts":[{"parts":[{"text":"a"},{"data":{}},{"text":"b"}]},{"parts":[]}]}}}`)
	if err != nil || !r.IsTask || r.TaskID != "t" || r.ContextID != "c" || r.State != "completed" || !r.Final || r.Text != "a\nb" {
		t.Fatalf("1.0 task: %+v %v", r, err)
	}
	r, err = ResultFromBody(`{"jsonrpc":"2.0","id":1,"result":{"kind":"task","id":"t","status":{"state":"input-required","message":{"parts":[{"kind":"text","text":"more?"}]}}}}`)
	if err != nil || r.State != "input-required" || r.Final || r.Text != "more?" {
		t.Fatalf("0.3 task: %+v %v", r, err)
	}
	r, err = ResultFromBody(`{"jsonrpc":"2.0","id":2,"result":{"id":"t","status":{"state":"TASK_STATE_CANCELED"}}}`)
	if err != nil || r.State != "canceled" {
		t.Fatalf("GetTask's bare task: %+v %v", r, err)
	}
	r, err = ResultFromBody(`{"jsonrpc":"2.0","id":1,"result":{"kind":"message","messageId":"m1","role":"agent","parts":[{"kind":"text","text":"old"},{"kind":"data","data":{}},{"kind":"text","text":"style"}]}}`)
	if err != nil || r.IsTask || r.MessageID != "m1" || r.State != "" || !r.Final || r.Text != "old\nstyle" {
		t.Fatalf("0.3 message: %+v %v", r, err)
	}
	r, err = ResultFromBody(`{"jsonrpc":"2.0","id":1,"result":{"task":{"id":"t","status":{"state":"TASK_STATE_COMPLETED","message":{"parts":[{"text":"te\u0073t \"q\" \u00e9\n \ud83d\ude00"}]}}}}}`)
	if err != nil || r.Text != "test \"q\" é\n 😀" {
		t.Fatalf("escapes: %q %v", r.Text, err)
	}
}

func TestJSONRPCErrorsHTTPStatusesAndNoResponseAreTyped(t *testing.T) {
	_, e := ResultFromBody(`{"jsonrpc":"2.0","id":1,"error":{"code":-32001,"message":"Task not found","data":{"hint":"check the id"}}}`)
	if e == nil || e.Kind != RPCError || !e.HasCode || e.Code != -32001 || e.Reason != "Task not found (check the id)" {
		t.Fatalf("rpc error: %+v", e)
	}
	m := caxton.NewMessage(caxton.Inform, `{"jsonrpc":"2.0","id":1,"error":{"code":-32600,"message":"missing token"}}`)
	m.Sender = &caxton.AgentID{Name: "http@caxton"}
	m.InReplyTo = "http-9"
	m.SetParam(http.StatusParam, "401").SetParam(http.ContextParam, "caxton-a2a:bob")
	r, ok := ResponseOf(m)
	if !ok || r.RequestID != "http-9" || r.Context != "bob" || r.Err == nil || r.Err.Kind != HTTPStatus || r.Err.Status != 401 || r.Err.Error() != "a2a: http-status: HTTP 401: missing token" {
		t.Fatalf("401: %+v %+v", r, r.Err)
	}
	m.Content = "<html>bad gateway</html>"
	m.SetParam(http.StatusParam, "502")
	if r, _ := ResponseOf(m); r.Err == nil || r.Err.Reason != "HTTP 502: <html>bad gateway</html>" {
		t.Fatalf("502: %+v", r.Err)
	}
	f := caxton.NewMessage(caxton.Failure, "")
	f.Sender = &caxton.AgentID{Name: "http@caxton"}
	f.SetParam(http.FailureParam, "too-large").SetParam(http.ContextParam, "caxton-a2a-sse:x")
	if r, ok := ResponseOf(f); !ok || r.Err == nil || r.Err.Kind != NoResponse || r.Err.Failure != "too-large" || r.Err.Error() != "a2a: no-response: no response: too-large" || r.Context != "x" {
		t.Fatalf("no response: %+v", r)
	}
	m.SetParam(http.ContextParam, "mine")
	if _, ok := ResponseOf(m); ok {
		t.Fatal("a plain HTTP answer is not an A2A answer")
	}
	m.SetParam(http.ContextParam, "caxton-a2a:")
	m.Sender = &caxton.AgentID{Name: "mallory"}
	if _, ok := ResponseOf(m); ok {
		t.Fatal("an agent's message is not an A2A answer")
	}
}

func TestAHostileServersAnswersAreMalformedNeverAPanic(t *testing.T) {
	cases := map[string]string{
		`not json at all`:                                          "the answer is not JSON: not json at all",
		`{"result":{"task":{"id":"t"}}}`:                           "the answer is not a JSON-RPC 2.0 response",
		`{"jsonrpc":"2.0","id":1,"result":{"artifact":{}}}`:        "the result is neither a Task nor a Message",
		`{"jsonrpc":"2.0","id":1}`:                                 "the JSON-RPC response has no result",
		`{"jsonrpc":"2.0","id":1,"result":{"task":{"status":{}}}}`: "the task has no id",
		`{"jsonrpc":"2.0","id":1,"result":{"task":{"id":"t","status":{"state":"TASK_STATE_COMP`:             "the answer is not JSON: {\"jsonrpc\"",
		`{"jsonrpc":"2.0","id":1,"result":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`: "the answer nests deeper than 64 levels",
	}
	for in, want := range cases {
		_, e := ResultFromBody(in)
		if e == nil || e.Kind != Malformed || !strings.HasPrefix(e.Reason, want) {
			t.Errorf("%.40s: %+v", in, e)
		}
	}
	if !nestingExceeds(strings.Repeat("[", 65), 64) || nestingExceeds(strings.Repeat("[", 64)+`"[[[["`, 64) {
		t.Fatal("the bound counts brackets outside strings")
	}
	if _, e := ResultFromSSE("data: " + strings.Repeat(`{"a":`, 100000) + "\n\n"); e == nil || e.Reason != "an event nests deeper than 64 levels" {
		t.Fatalf("deep event: %+v", e)
	}
}

func TestAStreamReadWholeFoldsIntoTheTaskWithEveryStateItPassed(t *testing.T) {
	v1 := "data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"task\":{\"id\":\"t\",\"contextId\":\"c\",\"status\":{\"state\":\"TASK_STATE_SUBMITTED\"}}}}\n\n" +
		"data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"statusUpdate\":{\"taskId\":\"t\",\"status\":{\"state\":\"TASK_STATE_WORKING\"}}}}\r\n\r\n" +
		": a comment\n\n" +
		"data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"statusUpdate\":{\"taskId\":\"t\",\"status\":{\"state\":\"TASK_STATE_WORKING\"}}}}\n\n" +
		"data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"artifactUpdate\":{\"artifact\":{\"artifactId\":\"a\",\"parts\":[{\"text\":\"HEL\"}]}}}}\n\n" +
		"data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"artifactUpdate\":{\"append\":true,\"artifact\":{\"artifactId\":\"a\",\"parts\":[{\"text\":\"LO\"}]}}}}\n\n" +
		"data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"statusUpdate\":{\"taskId\":\"t\",\"final\":true,\"status\":{\"state\":\"TASK_STATE_COMPLETED\"}}}}\n\n"
	r, e := ResultFromSSE(v1)
	if e != nil || r.TaskID != "t" || r.ContextID != "c" || r.State != "completed" || !r.Final || r.Text != "HELLO" || strings.Join(r.States, ",") != "submitted,working,completed" {
		t.Fatalf("1.0 stream: %+v %v", r, e)
	}
	v03 := "data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"kind\":\"task\",\"id\":\"t\",\"status\":{\"state\":\"working\"}}}\n\n" +
		"data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"kind\":\"status-update\",\"taskId\":\"t\",\"status\":{\"state\":\"canceled\",\"message\":{\"parts\":[{\"kind\":\"text\",\"text\":\"stopped\"}]}}}}\n\n"
	if r, e := ResultFromSSE(v03); e != nil || r.State != "canceled" || r.Text != "stopped" || len(r.States) != 2 {
		t.Fatalf("0.3 stream: %+v %v", r, e)
	}
	if r, e := ResultFromSSE("data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"message\":{\"messageId\":\"m\",\"parts\":[{\"text\":\"hi\"}]}}}\n\n"); e != nil || r.IsTask || r.Text != "hi" {
		t.Fatalf("a message: %+v %v", r, e)
	}
	if _, e := ResultFromSSE("data: {\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32001,\"message\":\"Task not found\"}}\n\n"); e == nil || e.Kind != RPCError {
		t.Fatalf("an error event: %v", e)
	}
	if _, e := ResultFromSSE(""); e == nil || e.Reason != "the stream carried neither a Task nor a Message" {
		t.Fatalf("empty: %v", e)
	}
	if _, e := ResultFromSSE(strings.Repeat("data: {\"jsonrpc\":\"2.0\",\"result\":{}}\n\n", 1001)); e == nil || e.Reason != "the stream has 1001 events, more than 1000" {
		t.Fatalf("too many events: %v", e)
	}
}

// taskWithArtifacts: {"jsonrpc":"2.0","result":{"task":{…,"artifacts":[{},{},…]}}} with n empty
// artifacts (each gets its index as id); 60,000 of them are 180 KB, under the response limit.
func taskWithArtifacts(n int) string {
	items := strings.TrimSuffix(strings.Repeat("{},", n), ",")
	return `{"jsonrpc":"2.0","result":{"task":{"id":"t","status":{"state":"TASK_STATE_COMPLETED"},"artifacts":[` + items + `]}}}`
}

func TestMoreThan1000ArtifactsAreRefusedBeforeTheyAreFolded(t *testing.T) {
	many := taskWithArtifacts(60_000)
	if len(many) < 180_000 || len(many) > 192*1024 {
		t.Fatalf("the event is %d bytes", len(many))
	}
	const tooMany = "the task has more than 1000 artifacts"
	if _, e := ResultFromSSE("data: " + many + "\n\n"); e == nil || e.Kind != Malformed || e.Reason != tooMany {
		t.Fatalf("60,000 artifacts in a stream: %v", e)
	}
	if _, e := ResultFromBody(many); e == nil || e.Kind != Malformed || e.Reason != tooMany {
		t.Fatalf("60,000 artifacts in an answer: %v", e)
	}
	if r, e := ResultFromSSE("data: " + taskWithArtifacts(1000) + "\n\n"); e != nil || r.State != "completed" {
		t.Fatalf("1,000 artifacts: %+v %v", r, e)
	}
	update := func(id, text string, appendText bool) string {
		a := "false"
		if appendText {
			a = "true"
		}
		return `data: {"jsonrpc":"2.0","result":{"artifactUpdate":{"append":` + a + `,"artifact":{"artifactId":"` + id + `","parts":[{"text":"` + text + `"}]}}}}` + "\n\n"
	}
	if _, e := ResultFromSSE("data: " + taskWithArtifacts(1000) + "\n\n" + update("new", "n", false)); e == nil || e.Reason != tooMany {
		t.Fatalf("the 1,001st by an update: %v", e)
	}
	folded := "data: " + taskWithArtifacts(0) + "\n\n" + update("a", "x", false) + update("b", "y", false) + update("a", "z", true)
	if r, e := ResultFromSSE(folded); e != nil || r.Text != "xz\ny" {
		t.Fatalf("folded by id: %+v %v", r, e)
	}
}
