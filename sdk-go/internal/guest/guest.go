//go:build wasip1

// Package guest is what the generated exports (internal/wit/wit_exports) call: the agent's three
// entry points, which package caxton sets when it is initialised (decision 2205).
package guest

import (
	"caxton.dev/caxton/internal/wit/caxton_agent_types"
	"caxton.dev/caxton/internal/wit_types"
)

type outcome = wit_types.Result[wit_types.Unit, string]

var (
	Init    func(caxton_agent_types.InitContext) outcome
	Handle  func(caxton_agent_types.AclMessage) outcome
	OnTimer func(token string) outcome
)
