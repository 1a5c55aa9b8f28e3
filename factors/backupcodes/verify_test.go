package backupcodes

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/factorgate/factorgate/sdk"
)

// Each code of a set is accepted once, in any order; a used code is
// replayed; the display counts down and warns; a spent set refuses all.
func TestVerifyEachCodeOnce(t *testing.T) {
	f := configure(t, `{"count":5}`)
	codes, state := enroll(t, f, noCode)
	order := []int{3, 0, 4, 1, 2}
	wantMessages := []string{
		"",
		"",
		"2 backup codes left: generate a new set",
		"1 backup code left: generate a new set",
		"no backup codes left: generate a new set",
	}
	usedAt := map[int]time.Time{}
	for step, slotIndex := range order {
		now := testNow.Add(time.Duration(step+1) * time.Hour)
		resp := verify(t, f, state, codes[slotIndex], now)
		if resp.Result != sdk.ResultOK {
			t.Fatalf("step %d: code %d: %v (%q), want ok", step, slotIndex, resp.Result, resp.Reason)
		}
		if want := len(codes) - step - 1; resp.Display.Remaining != want || resp.Display.Message != wantMessages[step] {
			t.Fatalf("step %d: display %+v, want %d remaining and %q", step, resp.Display, want, wantMessages[step])
		}
		state = resp.CredentialState
		usedAt[slotIndex] = now

		// The time of each use is recorded, and earlier ones are kept.
		st := mustDecodeCredential(t, state)
		for i, c := range st.Codes {
			if want := usedAt[i]; !c.UsedAt.Equal(want) {
				t.Fatalf("step %d: slot %d used at %v, want %v", step, i, c.UsedAt, want)
			}
		}

		// Every code used so far is now replayed, and changes nothing.
		if step == len(order)-1 {
			break // a spent set answers differently, below
		}
		for used := range usedAt {
			again := verify(t, f, state, groupCode(strings.ReplaceAll(codes[used], "-", ""), 2), now)
			if again.Result != sdk.ResultReplayed || again.CredentialState != nil || again.Reason == "" {
				t.Fatalf("step %d: used code %d again: %+v, want replayed without state", step, used, again)
			}
		}
	}

	for i, c := range append(codes, "0000-0000-0000-0000", "garbage") {
		resp := verify(t, f, state, c, testNow.Add(24*time.Hour))
		if resp.Result != sdk.ResultInvalid || resp.Reason != reasonAllUsed || resp.CredentialState != nil {
			t.Fatalf("input %d on a spent set: %+v, want invalid with %q", i, resp, reasonAllUsed)
		}
	}
}

func TestVerifyWarning(t *testing.T) {
	tests := []struct {
		name      string
		warnBelow int
		left      int
		want      string
	}{
		{"plenty left", 3, 9, ""},
		{"at the threshold", 3, 3, ""},
		{"just below", 3, 2, "2 backup codes left: generate a new set"},
		{"one left", 3, 1, "1 backup code left: generate a new set"},
		{"none left", 3, 0, "no backup codes left: generate a new set"},
		{"higher threshold", 8, 7, "7 backup codes left: generate a new set"},
		{"never warn, none left", 0, 0, ""},
		{"never warn, one left", 0, 1, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := configure(t, fmt.Sprintf(`{"warn_below":%d}`, tc.warnBelow))
			if got := f.warning(tc.left); got != tc.want {
				t.Fatalf("warning(%d) = %q, want %q", tc.left, got, tc.want)
			}
		})
	}
}

// The warning threshold is the instance's, applied to the set as it is.
func TestVerifyWarnsPerInstance(t *testing.T) {
	fx := testSet(t, t.Name(), 5, cheapKDF())
	codes, state := fx.codes, fx.credential(t, 0, 1)
	tests := []struct {
		settings string
		want     string
	}{
		{`{}`, "2 backup codes left: generate a new set"},
		{`{"warn_below":2}`, ""},
		{`{"warn_below":0}`, ""},
		{`{"warn_below":4}`, "2 backup codes left: generate a new set"},
	}
	for _, tc := range tests {
		t.Run(tc.settings, func(t *testing.T) {
			resp := verify(t, configure(t, tc.settings), state, codes[2], testNow)
			if resp.Result != sdk.ResultOK || resp.Display.Remaining != 2 || resp.Display.Message != tc.want {
				t.Fatalf("display %+v, want 2 remaining and %q", resp.Display, tc.want)
			}
		})
	}
}

func TestVerifyTypedCodes(t *testing.T) {
	hexFx := testSet(t, "hex", 5, cheapKDF())
	hexCodes, hexState := hexFx.codes, hexFx.credential(t)
	r := seededRand("digits")
	digitCodes, err := generateSet(r, formatDigits, codeLength, 5)
	if err != nil {
		t.Fatal(err)
	}
	digits := fixture{codes: digitCodes, set: codeSet{Format: formatDigits, Length: codeLength, KDF: cheapKDF(), Salt: bytes.Repeat([]byte{9}, saltLen), IndexKey: bytes.Repeat([]byte{8}, indexKeyLen)}}
	digits.hashes, digits.indexes = digits.set.KDF.hashSet(digitCodes, digits.set.Salt), indexSet(digits.set.IndexKey, digitCodes)
	digitState := digits.credential(t)

	code := hexCodes[2]
	fullwidth := strings.Map(func(r rune) rune { return r - '!' + '！' }, digitCodes[0])
	tests := []struct {
		name   string
		state  []byte
		input  string
		want   sdk.Result
		reason string
	}{
		{"as stored", hexState, code, sdk.ResultOK, ""},
		{"grouped by four", hexState, groupCode(code, 4), sdk.ResultOK, ""},
		{"uppercase", hexState, strings.ToUpper(groupCode(code, 4)), sdk.ResultOK, ""},
		{"spaces instead of dashes", hexState, strings.ReplaceAll(groupCode(code, 4), "-", " "), sdk.ResultOK, ""},
		{"pasted with a line break", hexState, "\t" + code + "\r\n", sdk.ResultOK, ""},
		{"digits grouped", digitState, groupCode(digitCodes[4], 4), sdk.ResultOK, ""},
		{"one character changed", hexState, changeLast(code), sdk.ResultInvalid, reasonInvalid},
		{"a code of another set", hexState, digitCodes[0], sdk.ResultInvalid, reasonInvalid},
		{"too short", hexState, code[:12], sdk.ResultInvalid, "16 characters, 0-9 and a-f"},
		{"empty", hexState, "", sdk.ResultInvalid, "16 characters, 0-9 and a-f"},
		{"en dashes", hexState, strings.ReplaceAll(groupCode(code, 4), "-", "–"), sdk.ResultInvalid, "16 characters, 0-9 and a-f"},
		{"fullwidth digits", digitState, fullwidth, sdk.ResultInvalid, "16 digits"},
		{"letters in a digits set", digitState, code, sdk.ResultInvalid, "16 digits"},
		{"very long", hexState, strings.Repeat(code, 1000), sdk.ResultInvalid, "16 characters"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := verify(t, New(), tc.state, tc.input, testNow)
			if resp.Result != tc.want {
				t.Fatalf("Verify(%q) = %v (%q), want %v", tc.input, resp.Result, resp.Reason, tc.want)
			}
			if tc.want != sdk.ResultOK && (!strings.Contains(resp.Reason, tc.reason) || resp.CredentialState != nil) {
				t.Fatalf("refusal: reason %q (want %q), state %q", resp.Reason, tc.reason, resp.CredentialState)
			}
		})
	}
}

// Replacing a set is a new enrollment: no code of the old set works against
// the new state. (The host deletes the old credential when the new one is
// confirmed, so the old state is never consulted again.)
func TestRegenerateInvalidatesOldCodes(t *testing.T) {
	f := configure(t, `{"count":5}`)
	oldCodes, oldState := enroll(t, f, noCode)
	newCodes, newState := enroll(t, f, noCode)

	oldSt, newSt := mustDecodeCredential(t, oldState), mustDecodeCredential(t, newState)
	if bytes.Equal(oldSt.Salt, newSt.Salt) {
		t.Fatal("the new set reuses the old salt")
	}
	for i, c := range oldCodes {
		if resp := verify(t, f, newState, c, testNow.Add(time.Hour)); resp.Result != sdk.ResultInvalid || resp.CredentialState != nil {
			t.Errorf("old code %d against the new set: %v, want invalid", i, resp.Result)
		}
	}
	if resp := verify(t, f, newState, newCodes[0], testNow.Add(time.Hour)); resp.Result != sdk.ResultOK {
		t.Fatalf("new code against the new set: %v, want ok", resp.Result)
	}
}

// The factor is stateless and deterministic: 50 concurrent Verify calls with
// the same code and state all answer ResultOK with the same new state. Making
// the code single-use across them is the host's compare-and-swap on the
// credential's version: one commit wins, and the others, reloading, get
// ResultReplayed. Run with -race, this also shows the calls share nothing.
func TestVerifyConcurrentSameCode(t *testing.T) {
	fx := testSet(t, t.Name(), 10, cheapKDF())
	codes, state := fx.codes, fx.credential(t)
	f := New()
	const calls = 50
	results := make([]sdk.VerifyResponse, calls)
	errs := make([]error, calls)
	var wg sync.WaitGroup
	for i := range calls {
		wg.Go(func() {
			results[i], errs[i] = f.Verify(context.Background(), sdk.VerifyRequest{
				CredentialState: state,
				Proof:           sdk.Proof{Code: codes[7]},
				Now:             testNow,
			})
		})
	}
	wg.Wait()
	for i := range calls {
		if errs[i] != nil || results[i].Result != sdk.ResultOK {
			t.Fatalf("call %d: %v, %v; want ok", i, results[i].Result, errs[i])
		}
		if !bytes.Equal(results[i].CredentialState, results[0].CredentialState) {
			t.Fatalf("call %d returned another state than call 0", i)
		}
	}
	// The state handed in is untouched, and the committed one replays the code.
	if !bytes.Equal(state, fx.credential(t)) {
		t.Fatal("Verify changed the state it was given")
	}
	if resp := verify(t, f, results[0].CredentialState, codes[7], testNow); resp.Result != sdk.ResultReplayed {
		t.Fatalf("after the commit: %v, want replayed", resp.Result)
	}
}

func TestVerifyBadTime(t *testing.T) {
	fx := testSet(t, t.Name(), 5, cheapKDF())
	codes, state := fx.codes, fx.credential(t)
	tests := []struct {
		name string
		now  time.Time
	}{
		{"zero time", time.Time{}},
		{"before 1970", time.Unix(-1, 0)},
		{"after 9999", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := verify(t, New(), state, codes[0], tc.now)
			if resp.Result != sdk.ResultInvalid || resp.Reason != reasonClock || resp.CredentialState != nil {
				t.Fatalf("Verify at %v = %+v, want invalid", tc.now, resp)
			}
		})
	}
}

func FuzzVerify(f *testing.F) {
	fx := testSet(f, "fuzz", 5, cheapKDF())
	codes := fx.codes
	fresh := fx.credential(f)
	partly := fx.credential(f, 1, 3)
	spent := fx.credential(f, 0, 1, 2, 3, 4)
	pending, err := encodePending(fx.set, fx.hashes, fx.indexes, testNow)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(fresh, codes[0], testNow.Unix())
	f.Add(fresh, strings.ToUpper(groupCode(codes[4], 4)), testNow.Unix())
	f.Add(partly, codes[1], testNow.Unix())
	f.Add(partly, codes[2], testNow.Unix())
	f.Add(fx.credentialV2(f, 1), codes[1], testNow.Unix())
	f.Add(fx.credentialV2(f, 1), codes[2], testNow.Unix())
	f.Add(fx.credentialV1(f), codes[4], testNow.Unix())
	f.Add(spent, codes[2], testNow.Unix())
	f.Add(fresh, "", testNow.Unix())
	f.Add(fresh, "０１２３４５６７８９ａｂｃｄｅｆ", testNow.Unix())
	f.Add(fresh, codes[0], int64(-1))
	f.Add(fresh[:len(fresh)-3], codes[0], testNow.Unix())
	f.Add(pending, codes[0], testNow.Unix())
	f.Add([]byte{}, codes[0], int64(0))
	f.Add([]byte("null"), codes[0], int64(0))
	f.Add([]byte(`{"v":1,"kind":"backup-codes-credential"}`), codes[0], testNow.Unix())

	fac := New()
	f.Fuzz(func(t *testing.T, state []byte, code string, unix int64) {
		old, decodeErr := decodeCredential(state)
		resp, err := fac.Verify(context.Background(), sdk.VerifyRequest{
			CredentialState: state,
			Proof:           sdk.Proof{Code: code},
			Now:             time.Unix(unix, 0),
		})
		if decodeErr != nil {
			if !errors.Is(err, sdk.ErrBadState) || resp.Result == sdk.ResultOK {
				t.Fatalf("unreadable state: %v, %v; want sdk.ErrBadState", resp.Result, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("readable state: Verify error = %v", err)
		}
		switch resp.Result {
		case sdk.ResultOK:
			checkOneUse(t, old, resp, time.Unix(unix, 0))
		case sdk.ResultInvalid, sdk.ResultReplayed:
			if resp.CredentialState != nil || resp.Reason == "" {
				t.Fatalf("%v: state %q, reason %q", resp.Result, resp.CredentialState, resp.Reason)
			}
		default:
			t.Fatalf("unexpected result %v", resp.Result)
		}
	})
}

// checkOneUse fails unless resp, a ResultOK for the set old, returns the
// same set with one unused slot used at now and indexed, and nothing else
// changed but the index key a set without one draws.
func checkOneUse(t *testing.T, old credentialState, resp sdk.VerifyResponse, now time.Time) {
	t.Helper()
	next, err := decodeCredential(resp.CredentialState)
	if err != nil {
		t.Fatalf("OK with an unreadable new state: %v", err)
	}
	if !bytes.Equal(next.Salt, old.Salt) || next.KDF != old.KDF || len(next.Codes) != len(old.Codes) ||
		len(next.IndexKey) != indexKeyLen || (old.IndexKey != nil && !bytes.Equal(next.IndexKey, old.IndexKey)) {
		t.Fatal("OK changed the set")
	}
	changed := 0
	for i := range old.Codes {
		o, n := old.Codes[i], next.Codes[i]
		if !bytes.Equal(o.Hash, n.Hash) {
			t.Fatalf("OK changed hash %d", i)
		}
		if !o.UsedAt.Equal(n.UsedAt) {
			if !o.UsedAt.IsZero() || !n.UsedAt.Equal(now) {
				t.Fatalf("OK changed slot %d from %v to %v", i, o.UsedAt, n.UsedAt)
			}
			if (o.Index != nil && !bytes.Equal(o.Index, n.Index)) || len(n.Index) != indexLen {
				t.Fatalf("OK gave slot %d index %x, had %x", i, n.Index, o.Index)
			}
			changed++
		} else if !bytes.Equal(o.Index, n.Index) {
			t.Fatalf("OK changed the index of slot %d, which it did not use", i)
		}
	}
	if changed != 1 || resp.Display.Remaining != unused(next.Codes) {
		t.Fatalf("OK used %d slots, display %+v", changed, resp.Display)
	}
}

// BenchmarkVerify is the cost of one verification against a 10-code set
// with the default hash parameters, for a right and a wrong code, by the
// form the set is stored in: indexed (version 3), or stored before indexes
// (version 2 and 1), where every slot is hashed. ms/op is the figure to
// read; argon2id is about 3 ms a run.
func BenchmarkVerify(b *testing.B) {
	fx := testSet(b, "benchmark", 10, defaultKDF())
	codes := fx.codes
	states := []struct {
		name  string
		state []byte
	}{
		{"indexed", fx.credential(b)},
		{"state-v2", fx.credentialV2(b)},
		{"state-v1", fx.credentialV1(b)},
	}
	inputs := []struct {
		name string
		code string
		want sdk.Result
	}{
		{"right-code", codes[9], sdk.ResultOK},
		{"wrong-code", changeLast(codes[9]), sdk.ResultInvalid},
	}
	f := New()
	ctx := context.Background()
	for _, st := range states {
		for _, in := range inputs {
			b.Run(st.name+"/"+in.name, func(b *testing.B) {
				req := sdk.VerifyRequest{CredentialState: st.state, Proof: sdk.Proof{Code: in.code}, Now: testNow}
				b.ReportAllocs()
				for b.Loop() {
					resp, err := f.Verify(ctx, req)
					if err != nil || resp.Result != in.want {
						b.Fatalf("Verify = %v, %v; want %v", resp.Result, err, in.want)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/op")
			})
		}
	}
}
