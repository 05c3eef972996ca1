//go:build wasip1

// Package witconv converts between the SDK's types and the generated bindings' (decision 2205).
package witconv

import (
	"unsafe"

	"caxton.dev/caxton/internal/wit/caxton_agent_types"
	wt "caxton.dev/caxton/internal/wit_types"
)

// View reads a list of one type as a list of another of the same layout (an empty one as nil):
// the SDK's AgentID and KeyValue are laid out as the generated AgentId and Tuple2[string, string].
func View[T, U any](s []U) []T {
	if len(s) == 0 {
		return nil
	}
	if unsafe.Sizeof(*new(T)) != unsafe.Sizeof(*new(U)) {
		panic("witconv: View between types of different sizes")
	}
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

// Optional is an SDK string field as an option: "" stands for absent.
func Optional(s string) wt.Option[string] {
	if s == "" {
		return wt.None[string]()
	}
	return wt.Some(s)
}

// OptionalU32 is an SDK number field as an option: 0 stands for absent.
func OptionalU32(n uint32) wt.Option[uint32] {
	if n == 0 {
		return wt.None[uint32]()
	}
	return wt.Some(n)
}

// OrEmpty is an option as an SDK string field.
func OrEmpty(o wt.Option[string]) string {
	if o.IsSome() {
		return o.Some()
	}
	return ""
}

// AgentID is an agent id as the SDK gives it: no addresses is a nil list (the generated lifting
// makes an empty one).
func AgentID(id caxton_agent_types.AgentId) caxton_agent_types.AgentId {
	if len(id.Addresses) == 0 {
		id.Addresses = nil
	}
	return id
}

// AgentIDs views a lifted list of agent ids as the SDK's type T (caxton.AgentID), each as AgentID
// gives it.
func AgentIDs[T any](ids []caxton_agent_types.AgentId) []T {
	for i := range ids {
		ids[i] = AgentID(ids[i])
	}
	return View[T](ids)
}
