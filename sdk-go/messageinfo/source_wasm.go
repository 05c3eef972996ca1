//go:build wasip1

package messageinfo

import (
	"caxton.dev/caxton"
	wit "caxton.dev/caxton/internal/wit/caxton_agent_message_info"
	"caxton.dev/caxton/internal/wit_runtime"
	wt "caxton.dev/caxton/internal/wit_types"
	"caxton.dev/caxton/internal/witconv"
)

var defaultSource Source = wasmSource{}

type wasmSource struct{}

func (wasmSource) ReceiverCount() uint32 { return wit.ReceiverCount() }

func (wasmSource) Receivers(offset, limit uint32) ([]caxton.AgentID, error) {
	defer wit_runtime.Import()()
	r := wit.Receivers(offset, limit)
	if r.Tag() == wt.ResultErr {
		return nil, &Error{Kind: ErrorKind(r.Err().Kind), Message: r.Err().Message}
	}
	return witconv.AgentIDs[caxton.AgentID](r.Ok()), nil
}
