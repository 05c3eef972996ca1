package http

import (
	"errors"
	"testing"

	"caxton.dev/caxton"
	"caxton.dev/caxton/internal/cabi"
)

func TestARequestFlattensTo14ValuesInFieldOrder(t *testing.T) {
	img := &cabi.SliceMemory{Base: 0x4000}
	r := &Request{Method: "POST", URL: "https://api.example.com/v1", Body: `{"q":1}`, TimeoutMs: 2500, Context: "asker@p",
		Headers: []caxton.KeyValue{{Key: "content-type", Value: "application/json"}, {Key: "x-trace", Value: "t1"}}}
	f := flat(img, r)
	s := func(p, n uint32) string { return cabi.LiftString(img, p, n) }
	if s(f[0], f[1]) != "POST" || s(f[2], f[3]) != "https://api.example.com/v1" {
		t.Fatalf("method and url first: %v", f)
	}
	if f[5] != 2 || s(img.Load32(f[4]+16), img.Load32(f[4]+20)) != "x-trace" || s(img.Load32(f[4]+24), img.Load32(f[4]+28)) != "t1" {
		t.Fatal("headers: a list of 16-byte (string, string) tuples")
	}
	if f[6] != 1 || s(f[7], f[8]) != `{"q":1}` || f[9] != 1 || f[10] != 2500 || f[11] != 1 || s(f[12], f[13]) != "asker@p" {
		t.Fatalf("body (disc, ptr, len), timeout (disc, value), context (disc, ptr, len): %v", f)
	}
	bare := flat(&cabi.SliceMemory{Base: 0x4000}, &Request{Method: "GET", URL: "http://h/"})
	for i := 4; i < 14; i++ {
		if bare[i] != 0 {
			t.Fatalf("no headers and none for every option: %v", bare)
		}
	}
}

func TestFetchResultOkIsTheIdAndErrTheHTTPError(t *testing.T) {
	img := &cabi.SliceMemory{Base: 0x100}
	at := img.Alloc(16, 4)
	p, n := img.String("call-7")
	img.Store32(at+4, p)
	img.Store32(at+8, n)
	if id, err := LiftResult(img, at); err != nil || id != "call-7" {
		t.Fatalf("ok: %q %v", id, err)
	}
	img = &cabi.SliceMemory{Base: 0x100}
	at = img.Alloc(16, 4)
	img.Store8(at, 1)
	img.Store8(at+4, 2)
	p, n = img.String("8 calls in flight")
	img.Store32(at+8, p)
	img.Store32(at+12, n)
	_, err := LiftResult(img, at)
	var he *Error
	if !errors.As(err, &he) || he.Kind != QuotaExceeded || he.Message != "8 calls in flight" {
		t.Fatalf("err: %v", err)
	}
	if err.Error() != "http quota-exceeded: 8 calls in flight" {
		t.Fatal(err.Error())
	}
}

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
