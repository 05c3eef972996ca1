package http

import (
	"strconv"
	"strings"
)

// Recorder is a Fetcher for tests of agent logic: it records requests (ids http-1, http-2, …)
// and refuses URLs that are not http(s) as the runtime would (InvalidRequest).
type Recorder struct {
	Calls []Call
}

// Call is one recorded request and the id Fetch returned for it.
type Call struct {
	ID      string
	Request Request
}

func (r *Recorder) Fetch(req *Request) (string, error) {
	if !strings.HasPrefix(req.URL, "http://") && !strings.HasPrefix(req.URL, "https://") {
		return "", &Error{Kind: InvalidRequest, Message: "not an http(s) URL: " + req.URL}
	}
	id := "http-" + strconv.Itoa(len(r.Calls)+1)
	r.Calls = append(r.Calls, Call{ID: id, Request: *req})
	return id, nil
}
