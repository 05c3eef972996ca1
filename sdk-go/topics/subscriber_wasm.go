//go:build wasip1

package topics

import (
	"runtime"
	"unsafe"

	"caxton.dev/caxton/internal/cabi"
)

//go:wasmimport caxton:agent/topics@0.1.0 subscribe
func rawSubscribe(topicPtr unsafe.Pointer, topicLen, filterSome uint32, filterPtr unsafe.Pointer, filterLen uint32, ret unsafe.Pointer)

//go:wasmimport caxton:agent/topics@0.1.0 unsubscribe
func rawUnsubscribe(topicPtr unsafe.Pointer, topicLen uint32, ret unsafe.Pointer)

var defaultSubscriber Subscriber = wasmSubscriber{}

type wasmSubscriber struct{}

// retArea is a 16-byte, 4-aligned return area (result<_, topic-error>).
type retArea [4]uint32

func addr(p unsafe.Pointer) uint32 { return uint32(uintptr(p)) }

func (wasmSubscriber) Subscribe(topic, filter string, hasFilter bool) error {
	var ret retArea
	some := uint32(0)
	if hasFilter {
		some = 1
	}
	rawSubscribe(unsafe.Pointer(unsafe.StringData(topic)), uint32(len(topic)), some, unsafe.Pointer(unsafe.StringData(filter)), uint32(len(filter)), unsafe.Pointer(&ret))
	runtime.KeepAlive(topic)
	runtime.KeepAlive(filter)
	err := liftResult(cabi.Linear{}, addr(unsafe.Pointer(&ret)))
	cabi.Release()
	return err
}

func (wasmSubscriber) Unsubscribe(topic string) error {
	var ret retArea
	rawUnsubscribe(unsafe.Pointer(unsafe.StringData(topic)), uint32(len(topic)), unsafe.Pointer(&ret))
	runtime.KeepAlive(topic)
	err := liftResult(cabi.Linear{}, addr(unsafe.Pointer(&ret)))
	cabi.Release()
	return err
}
