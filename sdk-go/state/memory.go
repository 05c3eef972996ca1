package state

import (
	"sort"
	"strings"
)

// Memory is an in-memory Store for tests of agent logic: keys checked as the runtime checks them
// (not empty, no control characters), writes refused while ReadOnly is set (as during Init).
type Memory struct {
	Entries  map[string]string
	ReadOnly bool
}

// NewMemory is an empty, writable Memory store.
func NewMemory() *Memory { return &Memory{Entries: map[string]string{}} }

func (s *Memory) check(key string) error {
	if s.ReadOnly {
		return &Error{Kind: ReadOnly, Message: "state is read-only during init"}
	}
	if key == "" || strings.ContainsFunc(key, func(r rune) bool { return r <= 0x1f || r == 0x7f }) {
		return &Error{Kind: InvalidKey, Message: "invalid key " + key}
	}
	return nil
}

func (s *Memory) Get(key string) (string, bool) {
	v, ok := s.Entries[key]
	return v, ok
}

func (s *Memory) Set(key, value string) error {
	if err := s.check(key); err != nil {
		return err
	}
	s.Entries[key] = value
	return nil
}

func (s *Memory) Delete(key string) error {
	if err := s.check(key); err != nil {
		return err
	}
	delete(s.Entries, key)
	return nil
}

func (s *Memory) Keys(prefix, startAfter string, limit uint32) []string {
	var out []string
	for k := range s.Entries {
		if strings.HasPrefix(k, prefix) && k > startAfter {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	if uint32(len(out)) > limit {
		out = out[:limit]
	}
	return out
}
