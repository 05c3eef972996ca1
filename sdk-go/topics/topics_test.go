package topics

import (
	"errors"
	"testing"
)

func TestMemoryRecordsSubscriptionsAndRefusesOnce(t *testing.T) {
	m := NewMemory()
	prev := Use(m)
	defer Use(prev)
	if err := SubscribeFiltered("jobs", `{"all":[]}`); err != nil {
		t.Fatal(err)
	}
	if err := Subscribe("news"); err != nil {
		t.Fatal(err)
	}
	m.Refuse = &Error{Kind: QuotaExceeded, Message: "too many"}
	var te *Error
	if err := Unsubscribe("news"); !errors.As(err, &te) || te.Kind != QuotaExceeded {
		t.Fatal(err)
	}
	if err := Unsubscribe("news"); err != nil {
		t.Fatal(err)
	}
	if len(m.Topics) != 1 || m.Topics["jobs"] != `{"all":[]}` {
		t.Fatal(m.Topics)
	}
}
