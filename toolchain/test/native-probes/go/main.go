// State and HTTP probe (see ../README.md).
package main

import (
	"errors"
	"runtime"
	"strconv"
	"strings"

	"caxton.dev/caxton"
	"caxton.dev/caxton/http"
	"caxton.dev/caxton/state"
)

type probe struct{ caxton.BaseAgent }

func stateResult(err error) string {
	var se *state.Error
	if errors.As(err, &se) {
		return "err:" + se.Kind.String() + ":" + se.Message
	}
	return "ok"
}

func fetchResult(id string, err error) string {
	var he *http.Error
	if errors.As(err, &he) {
		return "err:" + he.Kind.String() + ":" + he.Message
	}
	return "id:" + id
}

func run(cmd string) string {
	w := strings.SplitN(cmd, " ", 4)
	switch {
	case len(w) == 2 && w[0] == "get":
		if v, ok := state.Get(w[1]); ok {
			return "some:" + v
		}
		return "none"
	case len(w) == 3 && w[0] == "set":
		return stateResult(state.Set(w[1], w[2]))
	case len(w) == 2 && w[0] == "del":
		return stateResult(state.Delete(w[1]))
	case len(w) == 4 && w[0] == "keys":
		after := w[2]
		if after == "-" {
			after = ""
		}
		limit, _ := strconv.Atoi(w[3])
		return strings.Join(state.Keys(w[1], after, uint32(limit)), ",")
	case len(w) == 3 && w[0] == "get-many":
		// Reads key n times and drops each value: what the host wrote for the reads must not pile
		// up within the handling (decision 2205). Answers the live heap after a collection, in MiB.
		n, _ := strconv.Atoi(w[1])
		for range n {
			state.Get(w[2])
		}
		var m runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m)
		return "heap-mib:" + strconv.Itoa(int(m.HeapAlloc>>20))
	case cmd == "fetch":
		return fetchResult(http.Fetch(&http.Request{Method: "POST", URL: "https://api.example.com/x?y=1",
			Headers: []caxton.KeyValue{{Key: "a", Value: "1"}, {Key: "b", Value: "2"}},
			Body:    `{"q":"é"}`, TimeoutMs: 2500, Context: "ctx ✓"}))
	case cmd == "fetch-min":
		return fetchResult(http.Fetch(&http.Request{Method: "GET", URL: "http://h.example/"}))
	}
	return "unknown command " + cmd
}

func (probe) Handle(msg *caxton.Message) error {
	return caxton.Reply(msg, caxton.Inform, run(msg.Content))
}

func init() { caxton.Register(probe{}) }

func main() {}
