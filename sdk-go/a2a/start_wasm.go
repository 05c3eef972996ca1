//go:build wasip1

package a2a

import (
	"caxton.dev/caxton/http"
	wit "caxton.dev/caxton/internal/wit/caxton_agent_a2a"
	"caxton.dev/caxton/internal/wit_runtime"
	wt "caxton.dev/caxton/internal/wit_types"
	"caxton.dev/caxton/internal/witconv"
)

var defaultStarter Starter = wasmStarter{}

type wasmStarter struct{}

func (wasmStarter) Start(r *Request) (string, error) {
	defer wit_runtime.Import()()
	answer := wit.Start(wit.Call{
		Operation: uint8(r.Operation), Url: r.URL, Version: uint8(r.Version), Subject: r.Subject,
		ContextId: witconv.Optional(r.ContextID), Headers: witconv.View[wt.Tuple2[string, string]](r.Headers),
		TimeoutMs: witconv.OptionalU32(r.TimeoutMs), Context: witconv.Optional(r.Context),
	})
	if answer.Tag() == wt.ResultErr { // an http-error, as fetch's refusal (decision 2193)
		return "", &http.Error{Kind: http.ErrorKind(answer.Err().Kind), Message: answer.Err().Message}
	}
	return answer.Ok(), nil
}
