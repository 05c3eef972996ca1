//go:build wasip1

package http

import (
	"runtime"
	"unsafe"

	"caxton.dev/caxton/internal/cabi"
)

//go:wasmimport caxton:agent/http@0.1.0 fetch
func rawFetch(methodPtr, methodLen, urlPtr, urlLen, headersPtr, headersLen, bodySome, bodyPtr, bodyLen, timeoutSome, timeoutMs, contextSome, contextPtr, contextLen uint32, ret unsafe.Pointer)

var defaultFetcher Fetcher = wasmFetcher{}

type wasmFetcher struct{}

func (wasmFetcher) Fetch(r *Request) (string, error) {
	var w cabi.Pinned
	var ret [4]uint32 // result<string, http-error>: 16 bytes, align 4
	f := flat(&w, r)
	rawFetch(f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], f[11], f[12], f[13], unsafe.Pointer(&ret))
	runtime.KeepAlive(w.Keep)
	id, err := LiftResult(cabi.Linear{}, uint32(uintptr(unsafe.Pointer(&ret))))
	cabi.Release()
	return id, err
}
