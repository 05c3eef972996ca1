//go:build !wasip1

package topics

// Outside WebAssembly (go test) subscriptions are kept in memory.
var defaultSubscriber Subscriber = NewMemory()
