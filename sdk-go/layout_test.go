package caxton

import (
	"testing"
	"unsafe"

	wt "caxton.dev/caxton/internal/wit_types"
)

// abi_wasm.go views the generated bindings' lists of pairs as []KeyValue (and back) without
// copying (decision 2205): the two types must be laid out alike, field by field.
func TestKeyValueIsLaidOutAsTheGeneratedPair(t *testing.T) {
	var kv KeyValue
	var pair wt.Tuple2[string, string]
	if unsafe.Sizeof(kv) != unsafe.Sizeof(pair) ||
		unsafe.Offsetof(kv.Key) != unsafe.Offsetof(pair.F0) || unsafe.Offsetof(kv.Value) != unsafe.Offsetof(pair.F1) {
		t.Fatalf("KeyValue %d bytes (key @%d, value @%d), Tuple2 %d (@%d, @%d)", unsafe.Sizeof(kv),
			unsafe.Offsetof(kv.Key), unsafe.Offsetof(kv.Value), unsafe.Sizeof(pair), unsafe.Offsetof(pair.F0), unsafe.Offsetof(pair.F1))
	}
}
