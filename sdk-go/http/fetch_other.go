//go:build !wasip1

package http

// Outside WebAssembly (go test) requests are recorded.
var defaultFetcher Fetcher = &Recorder{}
