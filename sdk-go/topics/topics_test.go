package topics

import (
	"errors"
	"testing"

	"caxton.dev/caxton/internal/cabi"
)

func TestTopicErrorIsTheKindAt4AndTheMessageAt8(t *testing.T) {
	img := &cabi.SliceMemory{Base: 0x100}
	at := img.Alloc(16, 4)
	img.Store8(at, 1)
	img.Store8(at+4, 1)
	p, n := img.String("filter.all: must be a list of clauses")
	img.Store32(at+8, p)
	img.Store32(at+12, n)
	var te *Error
	if err := liftResult(img, at); !errors.As(err, &te) || te.Kind != InvalidFilter || te.Message != "filter.all: must be a list of clauses" {
		t.Fatal(err)
	}
	img = &cabi.SliceMemory{Base: 0x100}
	if err := liftResult(img, img.Alloc(16, 4)); err != nil {
		t.Fatal("ok is no error", err)
	}
}

func TestAnUnknownKindIsABrokenHost(t *testing.T) {
	img := &cabi.SliceMemory{Base: 0x100}
	at := img.Alloc(16, 4)
	img.Store8(at, 1)
	img.Store8(at+4, 3)
	defer func() {
		if recover() == nil {
			t.Fatal("kind 3 must panic")
		}
	}()
	_ = liftResult(img, at)
}

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
