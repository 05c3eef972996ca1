//go:build !wasip1

package state

// Outside WebAssembly (go test) the store is in memory.
var defaultStore Store = NewMemory()
