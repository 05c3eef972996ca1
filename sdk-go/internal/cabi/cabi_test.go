package cabi

import "testing"

// An option's discriminant is 0 or 1; any other byte is a host that broke the canonical ABI, and
// reading it as "some" (as a non-zero test would) could follow a pointer the host never wrote.
func TestSomeReadsZeroAndOneAndPanicsOnAnyOtherDiscriminant(t *testing.T) {
	img := &SliceMemory{Base: 0x100, Data: []byte{0, 1, 2}}
	if Some(img, 0x100) || !Some(img, 0x101) {
		t.Fatal("0 is none and 1 is some")
	}
	defer func() {
		if recover() == nil {
			t.Fatal("a discriminant of 2 was read without a panic")
		}
	}()
	Some(img, 0x102)
}
