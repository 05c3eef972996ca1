//go:build !wasip1

package messageinfo

// Outside WebAssembly (go test) the answers come from memory: no message until Set.
var defaultSource Source = &Memory{}
