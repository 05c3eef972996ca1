//go:build wasip1

package http

import (
	wit "caxton.dev/caxton/internal/wit/caxton_agent_http"
	wt "caxton.dev/caxton/internal/wit_types"
	"caxton.dev/caxton/internal/witconv"
)

var defaultFetcher Fetcher = wasmFetcher{}

type wasmFetcher struct{}

func (wasmFetcher) Fetch(r *Request) (string, error) {
	return Started(wit.Fetch(wit.Request{
		Method: r.Method, Url: r.URL, Headers: witconv.View[wt.Tuple2[string, string]](r.Headers),
		Body: witconv.Optional(r.Body), TimeoutMs: witconv.OptionalU32(r.TimeoutMs), Context: witconv.Optional(r.Context),
	}))
}

// Started is fetch's answer, and the a2a package's start (decision 2193), which answers the same
// type: the request's id, or an *Error.
func Started(r wt.Result[string, wit.HttpError]) (string, error) {
	if r.Tag() == wt.ResultErr {
		return "", &Error{Kind: ErrorKind(r.Err().Kind), Message: r.Err().Message}
	}
	return r.Ok(), nil
}
