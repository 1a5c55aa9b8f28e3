package seal

import (
	"bytes"
	"testing"
)

func TestDeriveKey(t *testing.T) {
	k1 := Key{ID: "k1", Secret: bytes.Repeat([]byte{1}, KeySize)}
	k2 := Key{ID: "k2", Secret: bytes.Repeat([]byte{2}, KeySize)}
	one, err := New(k1)
	if err != nil {
		t.Fatal(err)
	}
	again, err := New(k1, k2)
	if err != nil {
		t.Fatal(err)
	}
	rotated, err := New(k2, k1)
	if err != nil {
		t.Fatal(err)
	}
	derive := func(s *Sealer, label string) []byte {
		t.Helper()
		k, err := s.DeriveKey(label)
		if err != nil || len(k) != KeySize {
			t.Fatalf("DeriveKey(%q) = %x, %v", label, k, err)
		}
		return k
	}
	base := derive(one, "destinations")
	tests := []struct {
		name string
		key  []byte
		same bool
	}{
		{"the same key and label in another sealer", derive(again, "destinations"), true},
		{"with a nonce source", derive(one.WithRand(bytes.NewReader(nil)), "destinations"), true},
		{"another label", derive(one, "other"), false},
		{"another active key", derive(rotated, "destinations"), false},
		{"not the sealing key", k1.Secret, false},
	}
	for _, tc := range tests {
		if bytes.Equal(tc.key, base) != tc.same {
			t.Errorf("%s: equal = %v, want %v", tc.name, !tc.same, tc.same)
		}
	}
	if _, err := one.DeriveKey(""); err == nil {
		t.Error("DeriveKey without a label succeeded")
	}
}
