package state

import (
	"errors"
	"reflect"
	"testing"

	"caxton.dev/caxton/internal/cabi"
)

func TestOptionStringReturnIsADiscriminantThenTheStringAt4(t *testing.T) {
	img := &cabi.SliceMemory{Base: 0x100}
	at := img.Alloc(12, 4)
	img.Store8(at, 1)
	p, n := img.String("42 ✓")
	img.Store32(at+4, p)
	img.Store32(at+8, n)
	if v, ok := cabi.LiftOptString(img, at); !ok || v != "42 ✓" {
		t.Fatal(v, ok)
	}
	img = &cabi.SliceMemory{Base: 0x100}
	if _, ok := cabi.LiftOptString(img, img.Alloc(12, 4)); ok {
		t.Fatal("none")
	}
}

func TestStateErrorIsTheKindAt4AndTheMessageAt8(t *testing.T) {
	img := &cabi.SliceMemory{Base: 0x100}
	at := img.Alloc(16, 4)
	img.Store8(at, 1)
	img.Store8(at+4, 3)
	p, n := img.String("init may not write")
	img.Store32(at+8, p)
	img.Store32(at+12, n)
	var se *Error
	if err := liftResult(img, at); !errors.As(err, &se) || se.Kind != ReadOnly || se.Message != "init may not write" {
		t.Fatal(err)
	}
	img = &cabi.SliceMemory{Base: 0x100}
	if err := liftResult(img, img.Alloc(16, 4)); err != nil {
		t.Fatal(err)
	}
}

func TestAnUnknownKindIsRefused(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	img := &cabi.SliceMemory{Base: 0x100}
	at := img.Alloc(16, 4)
	img.Store8(at, 1)
	img.Store8(at+4, 4)
	_ = liftResult(img, at)
}

func TestKeysReturnIsAListOfStrings(t *testing.T) {
	img := &cabi.SliceMemory{Base: 0x100}
	at := img.Alloc(8, 4)
	var words []uint32
	for _, k := range []string{"k/a", "k/b"} {
		p, n := img.String(k)
		words = append(words, p, n)
	}
	img.Store32(at, img.Words(words))
	img.Store32(at+4, 2)
	if got := cabi.LiftStringList(img, at); !reflect.DeepEqual(got, []string{"k/a", "k/b"}) {
		t.Fatal(got)
	}
	after := cabi.OptString(img, "k/a", true)
	if after[0] != 1 || cabi.LiftString(img, after[1], after[2]) != "k/a" || cabi.OptString(img, "", false) != [3]uint32{} {
		t.Fatal("start-after flattens to (disc, ptr, len)")
	}
}

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
