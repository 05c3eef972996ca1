//go:build wasip1

package a2a

import (
	"runtime"
	"unsafe"

	"caxton.dev/caxton/http"
	"caxton.dev/caxton/internal/cabi"
)

//go:wasmimport caxton:agent/a2a@0.1.0 start
func rawStart(operation, urlPtr, urlLen, version, subjectPtr, subjectLen, contextIDSome, contextIDPtr, contextIDLen, headersPtr, headersLen, timeoutSome, timeoutMs, contextSome, contextPtr, contextLen uint32, ret unsafe.Pointer)

var defaultStarter Starter = wasmStarter{}

type wasmStarter struct{}

func (wasmStarter) Start(r *Request) (string, error) {
	var w cabi.Pinned
	var ret [4]uint32 // result<string, http-error>: 16 bytes, align 4
	f := flat(&w, r)
	rawStart(f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], f[11], f[12], f[13], f[14], f[15], unsafe.Pointer(&ret))
	runtime.KeepAlive(w.Keep)
	id, err := http.LiftResult(cabi.Linear{}, uint32(uintptr(unsafe.Pointer(&ret))))
	cabi.Release()
	return id, err
}
