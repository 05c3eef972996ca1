package state

import (
	"reflect"
	"testing"
)

func TestTheKindsFollowTheWITOrder(t *testing.T) {
	if InvalidKey != 0 || ValueTooLarge != 1 || QuotaExceeded != 2 || ReadOnly != 3 || ReadOnly.String() != "read-only" {
		t.Fatal("state-error-kind order")
	}
}

func TestTheMemoryStorePagesAndRefusesLikeTheRuntime(t *testing.T) {
	m := NewMemory()
	prev := Use(m)
	defer Use(prev)
	for _, k := range []string{"count", "k/a", "k/b", "k/c"} {
		if err := Set(k, "v"); err != nil {
			t.Fatal(err)
		}
	}
	if got := Keys("k/", "", 2); !reflect.DeepEqual(got, []string{"k/a", "k/b"}) {
		t.Fatal(got)
	}
	if got := Keys("k/", "k/b", 10); !reflect.DeepEqual(got, []string{"k/c"}) {
		t.Fatal(got)
	}
	if err := Delete("k/b"); err != nil || GetOr("k/b", "gone") != "gone" {
		t.Fatal(err)
	}
	if err := Set("a\x00b", "v"); err == nil || err.(*Error).Kind != InvalidKey {
		t.Fatal(err)
	}
	m.ReadOnly = true
	if err := Set("count", "2"); err == nil || err.(*Error).Kind != ReadOnly {
		t.Fatal(err)
	}
}
