//go:build wasip1

package http

import (
	wit "caxton.dev/caxton/internal/wit/caxton_agent_http"
	"caxton.dev/caxton/internal/wit_runtime"
	wt "caxton.dev/caxton/internal/wit_types"
	"caxton.dev/caxton/internal/witconv"
)

var defaultFetcher Fetcher = wasmFetcher{}

type wasmFetcher struct{}

func (wasmFetcher) Fetch(r *Request) (string, error) {
	defer wit_runtime.Import()()
	answer := wit.Fetch(wit.Request{
		Method: r.Method, Url: r.URL, Headers: witconv.View[wt.Tuple2[string, string]](r.Headers),
		Body: witconv.Optional(r.Body), TimeoutMs: witconv.OptionalU32(r.TimeoutMs), Context: witconv.Optional(r.Context),
	})
	if answer.Tag() == wt.ResultErr {
		return "", &Error{Kind: ErrorKind(answer.Err().Kind), Message: answer.Err().Message}
	}
	return answer.Ok(), nil
}
