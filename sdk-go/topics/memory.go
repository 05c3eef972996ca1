package topics

// Memory is an in-memory Subscriber for tests of agent logic: it records the subscriptions (topic
// → filter text, "" for none); Refuse, when set, is returned by the next call and cleared.
type Memory struct {
	Topics map[string]string
	Refuse *Error
}

// NewMemory is an empty Memory.
func NewMemory() *Memory { return &Memory{Topics: map[string]string{}} }

func (m *Memory) refused() error {
	if m.Refuse == nil {
		return nil
	}
	e := m.Refuse
	m.Refuse = nil
	return e
}

func (m *Memory) Subscribe(topic, filter string, hasFilter bool) error {
	if err := m.refused(); err != nil {
		return err
	}
	if !hasFilter {
		filter = ""
	}
	m.Topics[topic] = filter
	return nil
}

func (m *Memory) Unsubscribe(topic string) error {
	if err := m.refused(); err != nil {
		return err
	}
	delete(m.Topics, topic)
	return nil
}
