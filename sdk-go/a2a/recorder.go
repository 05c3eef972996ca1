package a2a

import (
	"strconv"
	"strings"

	"caxton.dev/caxton/http"
)

// Recorder is a Starter for tests of agent logic: it records calls (ids a2a-1, a2a-2, …) and
// refuses URLs that are not http(s) as the runtime would (http.InvalidRequest).
type Recorder struct {
	Calls []Recorded
}

// Recorded is one recorded call and the id Start returned for it.
type Recorded struct {
	ID      string
	Request Request
}

func (r *Recorder) Start(req *Request) (string, error) {
	if !strings.HasPrefix(req.URL, "http://") && !strings.HasPrefix(req.URL, "https://") {
		return "", &http.Error{Kind: http.InvalidRequest, Message: "not an http(s) URL: " + req.URL}
	}
	id := "a2a-" + strconv.Itoa(len(r.Calls)+1)
	r.Calls = append(r.Calls, Recorded{ID: id, Request: *req})
	return id, nil
}
