package sdk_test

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/factorgate/factorgate/sdk"
)

type sampleState struct {
	Secret  []byte    `json:"secret"`
	Counter int       `json:"counter"`
	Created time.Time `json:"created"`
}

type sampleStateV1 struct {
	Secret []byte `json:"secret"`
}

var errNoSecret = errors.New("no secret")

func sampleCodec() sdk.StateCodec[sampleState] {
	return sdk.StateCodec[sampleState]{
		Kind:    "sample-credential",
		Version: 2,
		Validate: func(s *sampleState) error {
			if len(s.Secret) == 0 {
				return errNoSecret
			}
			return nil
		},
		Upgrade: func(version uint16, payload []byte) (sampleState, error) {
			var v1 sampleStateV1
			if err := sdk.DecodeStrictJSON(payload, &v1); err != nil {
				return sampleState{}, err
			}
			return sampleState{Secret: v1.Secret, Created: time.Unix(0, 0).UTC()}, nil
		},
		Legacy: func(state []byte) (sampleState, error) {
			var old struct {
				V      int    `json:"v"`
				Secret []byte `json:"secret"`
			}
			if err := sdk.DecodeStrictJSON(state, &old); err != nil {
				return sampleState{}, err
			}
			if old.V != 1 {
				return sampleState{}, errors.New("unknown legacy version")
			}
			return sampleState{Secret: old.Secret, Created: time.Unix(0, 0).UTC()}, nil
		},
	}
}

// envelope builds an envelope by hand, with a correct checksum, so tests can
// hand the codec well-formed envelopes of any content.
func envelope(kind string, version uint16, payload string) []byte {
	b := []byte("fgs1")
	b = append(b, byte(len(kind)))
	b = append(b, kind...)
	b = binary.BigEndian.AppendUint16(b, version)
	b = append(b, payload...)
	sum := sha256.Sum256(b)
	return append(b, sum[:16]...)
}

func TestStateCodecRoundTrip(t *testing.T) {
	codec := sampleCodec()
	want := sampleState{Secret: []byte("0123456789abcdef"), Counter: 7, Created: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	b, err := codec.Encode(want)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	got, err := codec.Decode(b)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if string(got.Secret) != string(want.Secret) || got.Counter != want.Counter || !got.Created.Equal(want.Created) {
		t.Errorf("Decode = %+v, want %+v", got, want)
	}
}

func TestStateCodecDecodeRefuses(t *testing.T) {
	codec := sampleCodec()
	valid, err := codec.Encode(sampleState{Secret: []byte("k"), Created: time.Unix(1, 0).UTC()})
	if err != nil {
		t.Fatal(err)
	}
	const payload = `{"secret":"aw==","counter":0,"created":"1970-01-01T00:00:01Z"}`
	tests := []struct {
		name  string
		state []byte
		want  string
	}{
		{"nil", nil, "empty"},
		{"empty", []byte{}, "empty"},
		{"neither an envelope nor a legacy state", []byte("garbage"), "read JSON"},
		{"truncated header", valid[:6], "truncated"},
		{"truncated sum", valid[:len(valid)-1], "checksum mismatch"},
		{"another kind", envelope("other-kind", 2, payload), `a "other-kind" state`},
		{"a newer version", envelope("sample-credential", 3, payload), "unknown version 3"},
		{"version zero", envelope("sample-credential", 0, payload), "unknown version 0"},
		{"unknown field", envelope("sample-credential", 2, `{"secret":"aw==","counter":0,"created":"1970-01-01T00:00:01Z","x":1}`), "unknown field"},
		{"missing field", envelope("sample-credential", 2, `{"secret":"aw==","created":"1970-01-01T00:00:01Z"}`), "canonical"},
		{"other spacing", envelope("sample-credential", 2, `{"secret": "aw==","counter":0,"created":"1970-01-01T00:00:01Z"}`), "canonical"},
		{"trailing data", envelope("sample-credential", 2, payload+`{}`), "after the value"},
		{"fails validation", envelope("sample-credential", 2, `{"secret":null,"counter":0,"created":"1970-01-01T00:00:01Z"}`), "no secret"},
		{"too long", append(valid, make([]byte, 70<<10)...), "longer than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := codec.Decode(tc.state)
			if !errors.Is(err, sdk.ErrBadState) {
				t.Fatalf("Decode: err %v, want ErrBadState", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Decode: err %q, want it to say %q", err, tc.want)
			}
		})
	}
}

// TestStateCodecDetectsEveryBitFlip flips each bit of a valid state in turn:
// every damaged state must be refused.
func TestStateCodecDetectsEveryBitFlip(t *testing.T) {
	codec := sampleCodec()
	valid, err := codec.Encode(sampleState{Secret: []byte("0123456789abcdef"), Counter: 3, Created: time.Unix(1, 0).UTC()})
	if err != nil {
		t.Fatal(err)
	}
	for i := range valid {
		for bit := range 8 {
			damaged := append([]byte(nil), valid...)
			damaged[i] ^= 1 << bit
			if _, err := codec.Decode(damaged); !errors.Is(err, sdk.ErrBadState) {
				t.Fatalf("bit %d of byte %d flipped: err %v, want ErrBadState", bit, i, err)
			}
		}
	}
}

func TestStateCodecEarlierForms(t *testing.T) {
	codec := sampleCodec()
	tests := []struct {
		name       string
		state      []byte
		wantSecret string
	}{
		{"version 1 upgraded", envelope("sample-credential", 1, `{"secret":"djE="}`), "v1"},
		{"legacy JSON", []byte(`{"v":1,"secret":"b2xk"}`), "old"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := codec.Decode(tc.state)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if string(got.Secret) != tc.wantSecret {
				t.Errorf("secret %q, want %q", got.Secret, tc.wantSecret)
			}
			again, err := codec.Encode(got)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			if !strings.HasPrefix(string(again), "fgs1") || again[5+len(codec.Kind)+1] != 2 {
				t.Errorf("re-encoded state %q is not a version 2 envelope", again)
			}
		})
	}
}

func TestStateCodecEncodeRefuses(t *testing.T) {
	tests := []struct {
		name  string
		codec sdk.StateCodec[sampleState]
		state sampleState
		want  string
	}{
		{"invalid values", sampleCodec(), sampleState{}, "no secret"},
		{"no kind", sdk.StateCodec[sampleState]{Version: 1}, sampleState{}, "kind must be"},
		{"upper-case kind", sdk.StateCodec[sampleState]{Kind: "Sample", Version: 1}, sampleState{}, "kind must be"},
		{"no version", sdk.StateCodec[sampleState]{Kind: "sample"}, sampleState{}, "version at least 1"},
		{"too long", sdk.StateCodec[sampleState]{Kind: "sample", Version: 1, MaxLen: 40}, sampleState{Secret: make([]byte, 64)}, "more than the 40 allowed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.codec.Encode(tc.state)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Encode: err %v, want it to say %q", err, tc.want)
			}
		})
	}
}

func TestDecodeStrictJSON(t *testing.T) {
	type pair struct {
		A int    `json:"a"`
		B string `json:"b"`
	}
	tests := []struct {
		name    string
		data    string
		wantErr bool
	}{
		{"canonical", `{"a":1,"b":"x"}`, false},
		{"re-cased key", `{"A":1,"b":"x"}`, true},
		{"repeated key", `{"a":1,"a":2,"b":"x"}`, true},
		{"escaped letter", `{"a":1,"b":"\u0078"}`, true},
		{"not JSON", `{"a":`, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var p pair
			err := sdk.DecodeStrictJSON([]byte(tc.data), &p)
			if (err != nil) != tc.wantErr {
				t.Errorf("DecodeStrictJSON(%s): err %v, want error %v", tc.data, err, tc.wantErr)
			}
		})
	}
	var raw json.RawMessage
	if err := sdk.DecodeStrictJSON([]byte(`[1,2]`), &raw); err != nil {
		t.Errorf("DecodeStrictJSON of an array into RawMessage: %v", err)
	}
}

func TestOpenState(t *testing.T) {
	codec := sampleCodec()
	valid, err := codec.Encode(sampleState{Secret: []byte("k"), Created: time.Unix(1, 0).UTC()})
	if err != nil {
		t.Fatal(err)
	}
	kind, version, payload, err := sdk.OpenState(valid)
	if err != nil || kind != "sample-credential" || version != 2 || !strings.HasPrefix(string(payload), `{"secret":"aw==",`) {
		t.Errorf("OpenState = %q, %d, %s, %v", kind, version, payload, err)
	}
	damaged := append([]byte(nil), valid...)
	damaged[len(damaged)/2] ^= 1
	for _, b := range [][]byte{nil, []byte(`{"v":1}`), valid[:8], damaged} {
		if _, _, _, err := sdk.OpenState(b); err == nil {
			t.Errorf("OpenState(%q) accepted it", b)
		}
	}
}
