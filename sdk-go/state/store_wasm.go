//go:build wasip1

package state

import (
	"runtime"
	"unsafe"

	"caxton.dev/caxton/internal/cabi"
)

//go:wasmimport caxton:agent/state@0.1.0 get
func rawGet(ptr unsafe.Pointer, n uint32, ret unsafe.Pointer)

//go:wasmimport caxton:agent/state@0.1.0 set
func rawSet(keyPtr unsafe.Pointer, keyLen uint32, valuePtr unsafe.Pointer, valueLen uint32, ret unsafe.Pointer)

//go:wasmimport caxton:agent/state@0.1.0 delete
func rawDelete(ptr unsafe.Pointer, n uint32, ret unsafe.Pointer)

//go:wasmimport caxton:agent/state@0.1.0 keys
func rawKeys(prefixPtr unsafe.Pointer, prefixLen, afterSome, afterPtr, afterLen, limit uint32, ret unsafe.Pointer)

var defaultStore Store = wasmStore{}

type wasmStore struct{}

// retArea is a 16-byte, 4-aligned return area (option<string>, result<_, state-error>, list).
type retArea [4]uint32

func addr(p unsafe.Pointer) uint32 { return uint32(uintptr(p)) }

func (wasmStore) Get(key string) (string, bool) {
	var ret retArea
	rawGet(unsafe.Pointer(unsafe.StringData(key)), uint32(len(key)), unsafe.Pointer(&ret))
	runtime.KeepAlive(key)
	v, ok := cabi.LiftOptString(cabi.Linear{}, addr(unsafe.Pointer(&ret)))
	cabi.Release()
	return v, ok
}

func (wasmStore) Set(key, value string) error {
	var ret retArea
	rawSet(unsafe.Pointer(unsafe.StringData(key)), uint32(len(key)), unsafe.Pointer(unsafe.StringData(value)), uint32(len(value)), unsafe.Pointer(&ret))
	runtime.KeepAlive(key)
	runtime.KeepAlive(value)
	err := liftResult(cabi.Linear{}, addr(unsafe.Pointer(&ret)))
	cabi.Release()
	return err
}

func (wasmStore) Delete(key string) error {
	var ret retArea
	rawDelete(unsafe.Pointer(unsafe.StringData(key)), uint32(len(key)), unsafe.Pointer(&ret))
	runtime.KeepAlive(key)
	err := liftResult(cabi.Linear{}, addr(unsafe.Pointer(&ret)))
	cabi.Release()
	return err
}

func (wasmStore) Keys(prefix, startAfter string, limit uint32) []string {
	var ret retArea
	var w cabi.Pinned
	after := cabi.OptString(&w, startAfter, startAfter != "")
	rawKeys(unsafe.Pointer(unsafe.StringData(prefix)), uint32(len(prefix)), after[0], after[1], after[2], limit, unsafe.Pointer(&ret))
	runtime.KeepAlive(prefix)
	runtime.KeepAlive(w.Keep)
	keys := cabi.LiftStringList(cabi.Linear{}, addr(unsafe.Pointer(&ret)))
	cabi.Release()
	return keys
}
