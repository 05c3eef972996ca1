package messageinfo

import "caxton.dev/caxton"

// Memory is an in-memory Source for tests of agent logic: Message holds the receivers of the
// message being handled (nil: no message); it pages and refuses as the host does.
type Memory struct {
	Message  []caxton.AgentID
	Handling bool
}

// Set makes ids the receivers of the message being handled.
func (m *Memory) Set(ids []caxton.AgentID) { m.Message, m.Handling = ids, true }

func (m *Memory) ReceiverCount() uint32 {
	if !m.Handling {
		return 0
	}
	return uint32(len(m.Message))
}

func (m *Memory) Receivers(offset, limit uint32) ([]caxton.AgentID, error) {
	if !m.Handling {
		return nil, &Error{Kind: NoMessage, Message: "no message is being handled"}
	}
	if limit == 0 || limit > MaxReceiversPage || offset > uint32(len(m.Message)) {
		return nil, &Error{Kind: InvalidRange, Message: "offset or limit out of range"}
	}
	end := min(uint32(len(m.Message)), offset+limit)
	return m.Message[offset:end], nil
}
