//go:build !wasip1

package a2a

// Outside WebAssembly (go test) calls are recorded.
var defaultStarter Starter = &Recorder{}
