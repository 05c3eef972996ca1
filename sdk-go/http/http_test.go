package http

import (
	"testing"

	"caxton.dev/caxton"
)

// The agent these tests run as: answers come from its platform's gateway, http@platform.
func init() { caxton.UseSelf(caxton.AgentID{Name: "asker@platform"}) }

func gateway(p caxton.Performative, params ...caxton.KeyValue) *caxton.Message {
	return &caxton.Message{Performative: p, Sender: &caxton.AgentID{Name: "http@platform"}, InReplyTo: "call-3", Content: "{}", UserParams: params}
}

func TestAnInformFromTheGatewayIsAResponse(t *testing.T) {
	r, ok := ResponseOf(gateway(caxton.Inform,
		caxton.KeyValue{Key: StatusParam, Value: "404"},
		caxton.KeyValue{Key: ContextParam, Value: "asker@p"},
		caxton.KeyValue{Key: "X-caxton-http-header-content-type", Value: "text/plain"}))
	if !ok || r.Status != 404 || r.OK() || r.Context != "asker@p" || r.RequestID != "call-3" || r.Header("Content-Type") != "text/plain" {
		t.Fatalf("%+v", r)
	}
}

func TestAFailureFromTheGatewayHasNoStatus(t *testing.T) {
	r, ok := ResponseOf(gateway(caxton.Failure, caxton.KeyValue{Key: FailureParam, Value: "timeout"}))
	if !ok || r.Status != 0 || r.Failure != "timeout" {
		t.Fatalf("%+v", r)
	}
}

func TestOtherMessagesAreNotResponses(t *testing.T) {
	m := gateway(caxton.Inform)
	m.Sender.Name = "httpbin@platform"
	if _, ok := ResponseOf(m); ok {
		t.Fatal("another sender")
	}
	m.Sender.Name = "http@elsewhere"
	if _, ok := ResponseOf(m); ok {
		t.Fatal("another platform's gateway")
	}
	m = gateway(caxton.Inform)
	m.InReplyTo = ""
	if _, ok := ResponseOf(m); ok {
		t.Fatal("an answer replies to its call")
	}
	if _, ok := ResponseOf(gateway(caxton.Request)); ok {
		t.Fatal("neither inform nor failure")
	}
}

func TestTheRecorderRecordsAndRefusesNonHTTPURLs(t *testing.T) {
	rec := &Recorder{}
	prev := Use(rec)
	defer Use(prev)
	if id, err := Fetch(&Request{Method: "GET", URL: "https://a.example/x"}); err != nil || id != "http-1" {
		t.Fatal(id, err)
	}
	if _, err := Fetch(&Request{Method: "GET", URL: "file:///etc/passwd"}); err == nil || err.(*Error).Kind != InvalidRequest {
		t.Fatal(err)
	}
	if len(rec.Calls) != 1 {
		t.Fatal(rec.Calls)
	}
}
