package messageinfo

import (
	"errors"
	"testing"

	"caxton.dev/caxton"
)

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
