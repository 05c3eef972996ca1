package messageinfo

import (
	"errors"
	"testing"

	"caxton.dev/caxton"
	"caxton.dev/caxton/internal/cabi"
)

func TestAnOkPageIsTheListAt4(t *testing.T) {
	img := &cabi.SliceMemory{Base: 0x100}
	at := img.Alloc(16, 4)
	list := img.Alloc(32, 4)
	for i, name := range []string{"a@p", "bcd@p"} {
		p, n := img.String(name)
		img.Store32(list+16*uint32(i), p)
		img.Store32(list+16*uint32(i)+4, n)
	}
	img.Store32(at+4, list)
	img.Store32(at+8, 2)
	ids, err := liftReceivers(img, at)
	if err != nil || len(ids) != 2 || ids[0].Name != "a@p" || ids[1].Name != "bcd@p" || ids[1].Addresses != nil {
		t.Fatal(ids, err)
	}
}

func TestARefusalIsTheKindAt4AndTheMessageAt8(t *testing.T) {
	img := &cabi.SliceMemory{Base: 0x100}
	at := img.Alloc(16, 4)
	img.Store8(at, 1)
	img.Store8(at+4, 1)
	p, n := img.String("limit 0 is not within 1..256")
	img.Store32(at+8, p)
	img.Store32(at+12, n)
	var e *Error
	if _, err := liftReceivers(img, at); !errors.As(err, &e) || e.Kind != InvalidRange || e.Message != "limit 0 is not within 1..256" {
		t.Fatal(err)
	}
}

func TestMemoryPagesAndRefusesLikeTheHost(t *testing.T) {
	mem := &Memory{}
	prev := Use(mem)
	defer Use(prev)
	var e *Error
	if _, err := Receivers(0, 1); !errors.As(err, &e) || e.Kind != NoMessage {
		t.Fatal(err)
	}
	ids := make([]caxton.AgentID, 600)
	for i := range ids {
		ids[i] = caxton.AgentID{Name: "r"}
	}
	mem.Set(ids)
	if got := len(AllReceivers()); got != 600 {
		t.Fatal(got)
	}
	if _, err := Receivers(0, 257); !errors.As(err, &e) || e.Kind != InvalidRange {
		t.Fatal(err)
	}
	m := caxton.NewMessage(caxton.Inform, "", caxton.AgentID{Name: "me"})
	if CountOf(m) != 1 {
		t.Fatal(CountOf(m))
	}
	m.SetParam(ReceiverCountParam, "1000")
	if CountOf(m) != 1000 {
		t.Fatal(CountOf(m))
	}
}

func TestCountOfIgnoresKeysThatOnlyUnicodeFoldingMatches(t *testing.T) {
	receivers := make([]caxton.AgentID, 3)
	m := caxton.NewMessage(caxton.Inform, "", receivers...)
	// The forged pair first, as a pre-fix host would have placed it: EqualFold takes ſ for s.
	m.UserParams = append(m.UserParams, caxton.KeyValue{Key: "X-caxton-receiverſ", Value: "7"}, caxton.KeyValue{Key: "X-caxton-receivers", Value: "40"})
	if got := CountOf(m); got != 40 {
		t.Fatal(got)
	}
	m.UserParams = m.UserParams[:1]
	if got := CountOf(m); got != 3 {
		t.Fatal("a look-alike key alone is not the count:", got)
	}
	m.UserParams = []caxton.KeyValue{{Key: "x-CAXTON-receivers", Value: "17"}}
	if got := CountOf(m); got != 17 {
		t.Fatal("ASCII case still folds:", got)
	}
}
