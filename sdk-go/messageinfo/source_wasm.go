//go:build wasip1

package messageinfo

import (
	"unsafe"

	"caxton.dev/caxton"
	"caxton.dev/caxton/internal/cabi"
)

//go:wasmimport caxton:agent/message-info@0.1.0 receiver-count
func rawReceiverCount() uint32

//go:wasmimport caxton:agent/message-info@0.1.0 receivers
func rawReceivers(offset, limit uint32, ret unsafe.Pointer)

var defaultSource Source = wasmSource{}

type wasmSource struct{}

// retArea is a 16-byte, 4-aligned return area (result<list<agent-id>, message-info-error>).
type retArea [4]uint32

func (wasmSource) ReceiverCount() uint32 { return rawReceiverCount() }

func (wasmSource) Receivers(offset, limit uint32) ([]caxton.AgentID, error) {
	var ret retArea
	rawReceivers(offset, limit, unsafe.Pointer(&ret))
	ids, err := liftReceivers(cabi.Linear{}, uint32(uintptr(unsafe.Pointer(&ret))))
	cabi.Release()
	return ids, err
}
