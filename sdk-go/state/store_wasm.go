//go:build wasip1

package state

import (
	wit "caxton.dev/caxton/internal/wit/caxton_agent_state"
	"caxton.dev/caxton/internal/wit_runtime"
	wt "caxton.dev/caxton/internal/wit_types"
	"caxton.dev/caxton/internal/witconv"
)

var defaultStore Store = wasmStore{}

type wasmStore struct{}

func (wasmStore) Get(key string) (string, bool) {
	defer wit_runtime.Import()()
	v := wit.Get(key)
	return witconv.OrEmpty(v), v.IsSome()
}

func (wasmStore) Set(key, value string) error {
	defer wit_runtime.Import()()
	return stateError(wit.Set(key, value))
}

func (wasmStore) Delete(key string) error {
	defer wit_runtime.Import()()
	return stateError(wit.Delete(key))
}

func (wasmStore) Keys(prefix, startAfter string, limit uint32) []string {
	defer wit_runtime.Import()()
	return witconv.View[string](wit.Keys(prefix, witconv.Optional(startAfter), limit))
}

func stateError(r wt.Result[wt.Unit, wit.StateError]) error {
	if r.Tag() == wt.ResultOk {
		return nil
	}
	return &Error{Kind: ErrorKind(r.Err().Kind), Message: r.Err().Message}
}
