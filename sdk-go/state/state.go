// Package state is the agent's durable key-value state (caxton:agent/state@0.1.0, decision
// 1600). Writes made while handling a message or a timer are read back by the same handler and
// committed with the handling, all or nothing; Init may read but not write.
//
//	n, _ := strconv.Atoi(state.GetOr("count", "0"))
//	if err := state.Set("count", strconv.Itoa(n+1)); err != nil { return err }
//
// Only an agent that imports this package imports the interface.
package state

import (
	"strconv"
)

// ErrorKind says why a write was refused (the WIT state-error-kind, same order).
type ErrorKind uint8

const (
	// InvalidKey: the key is empty, longer than the key limit, or has control characters.
	InvalidKey ErrorKind = iota
	// ValueTooLarge: the value is larger than the value limit.
	ValueTooLarge
	// QuotaExceeded: the write would take the agent past its total-bytes or key-count quota.
	QuotaExceeded
	// ReadOnly: writing is not possible here (during Init).
	ReadOnly
)

var kindNames = [...]string{"invalid-key", "value-too-large", "quota-exceeded", "read-only"}

func (k ErrorKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "state-error-kind(" + strconv.Itoa(int(k)) + ")"
}

// Error is a refused write.
type Error struct {
	Kind    ErrorKind
	Message string
}

func (e *Error) Error() string { return "state " + e.Kind.String() + ": " + e.Message }

// Store is the state interface. In a built agent it is the runtime; elsewhere it is an in-memory
// Memory store (replace it with Use in tests).
type Store interface {
	Get(key string) (string, bool)
	Set(key, value string) error
	Delete(key string) error
	// Keys after startAfter ("" = from the start): keys are never empty.
	Keys(prefix, startAfter string, limit uint32) []string
}

var store Store = defaultStore

// Use replaces the store (for tests outside WebAssembly) and returns the previous one.
func Use(s Store) Store {
	prev := store
	store = s
	return prev
}

// Get is the value of key, including this handler's own uncommitted writes.
func Get(key string) (string, bool) { return store.Get(key) }

// GetOr is the value of key, or def when it is absent.
func GetOr(key, def string) string {
	if v, ok := store.Get(key); ok {
		return v
	}
	return def
}

// Set sets key to value, committed with this handling. The error is an *Error.
func Set(key, value string) error { return store.Set(key, value) }

// Delete removes key, committed with this handling (removing an absent key is not an error).
func Delete(key string) error { return store.Delete(key) }

// Keys lists keys starting with prefix, in byte order, after startAfter ("" = from the start),
// at most limit (the host caps it). Page by passing the last key returned as startAfter.
func Keys(prefix, startAfter string, limit uint32) []string {
	return store.Keys(prefix, startAfter, limit)
}
