// Package http is outbound HTTP through the deployment's allow-list (caxton:agent/http@0.1.0,
// decision 1601). Fetch never blocks: it checks the request and returns its id; the request
// leaves only if the handling completes, and the answer arrives later as a message from
// http@<platform>, which ResponseOf recognises.
//
//	id, err := http.Fetch(&http.Request{Method: "GET", URL: "https://api.example.com/rates", Context: asker})
//	...
//	if r, ok := http.ResponseOf(msg); ok { ... r.Status, r.Body, r.Context ... }
//
// Only an agent that imports this package imports the interface.
package http

import (
	"strconv"

	"caxton.dev/caxton"
)

// Request is the WIT request record. Following the SDK's convention, "" means none for Body and
// Context and 0 means none for TimeoutMs.
type Request struct {
	// GET, POST, PUT, PATCH, DELETE or HEAD.
	Method string
	// An absolute http:// or https:// URL the deployment allows.
	URL     string
	Headers []caxton.KeyValue
	Body    string
	// Shorter than the deployment's timeout, if given.
	TimeoutMs uint32
	// Echoed back on the answer as X-caxton-http-context (e.g. whom to answer).
	Context string
}

// ErrorKind says why Fetch refused a request at once (the WIT http-error-kind, same order).
type ErrorKind uint8

const (
	// Denied: the host, method or path is not on the deployment's allow-list.
	Denied ErrorKind = iota
	// InvalidRequest: not a valid request (URL, method, header).
	InvalidRequest
	// QuotaExceeded: too many calls in flight or in this handling, or the request is too large.
	QuotaExceeded
)

var kindNames = [...]string{"denied", "invalid-request", "quota-exceeded"}

func (k ErrorKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "http-error-kind(" + strconv.Itoa(int(k)) + ")"
}

// Error is an immediate refusal: nothing is sent.
type Error struct {
	Kind    ErrorKind
	Message string
}

func (e *Error) Error() string { return "http " + e.Kind.String() + ": " + e.Message }

// Fetcher is the http interface. In a built agent it is the runtime; elsewhere a Recorder
// (replace it with Use in tests).
type Fetcher interface {
	Fetch(r *Request) (string, error)
}

var fetcher Fetcher = defaultFetcher

// Use replaces the fetcher (for tests outside WebAssembly) and returns the previous one.
func Use(f Fetcher) Fetcher {
	prev := fetcher
	fetcher = f
	return prev
}

// Fetch starts a request and returns its id, the answer's in-reply-to. The error is an *Error.
func Fetch(r *Request) (string, error) { return fetcher.Fetch(r) }
