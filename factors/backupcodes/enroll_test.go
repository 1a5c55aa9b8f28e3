package backupcodes

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/factorgate/factorgate/sdk"
)

func TestBeginEnrollment(t *testing.T) {
	tests := []struct {
		name        string
		settings    string
		wantCount   int
		wantShown   *regexp.Regexp
		wantFormat  format
		wantTTL     time.Duration
		wantConfirm bool
	}{
		{"defaults", `{}`, 10, regexp.MustCompile(`^[0-9a-f]{16}$`), formatHex, 10 * time.Minute, false},
		{"grouped in fours", `{"group":4}`, 10, regexp.MustCompile(`^[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}$`), formatHex, 10 * time.Minute, false},
		{"digits without dashes", `{"format":"digits","group":0,"count":5}`, 5, regexp.MustCompile(`^[0-9]{16}$`), formatDigits, 10 * time.Minute, false},
		{"twenty in eights", `{"count":20,"group":8,"enrollment_ttl":"1h"}`, 20, regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{8}$`), formatHex, time.Hour, false},
		{"confirm with a code", `{"confirm_with_code":true}`, 10, regexp.MustCompile(`^[0-9a-f]{16}$`), formatHex, 10 * time.Minute, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := begin(t, configure(t, tc.settings))
			d := resp.Display
			if len(d.Codes) != tc.wantCount || d.Remaining != tc.wantCount {
				t.Fatalf("%d codes, remaining %d; want %d", len(d.Codes), d.Remaining, tc.wantCount)
			}
			for _, c := range d.Codes {
				if !tc.wantShown.MatchString(c) {
					t.Errorf("code %q does not look like %s", c, tc.wantShown)
				}
			}
			if !d.ExpiresAt.Equal(testNow.Add(tc.wantTTL)) {
				t.Errorf("ExpiresAt = %v, want %v", d.ExpiresAt, testNow.Add(tc.wantTTL))
			}
			if want := strconv.FormatBool(tc.wantConfirm); d.Extra["confirm_with_code"] != want ||
				d.Extra["format"] != string(tc.wantFormat) || d.Extra["count"] != strconv.Itoa(tc.wantCount) {
				t.Errorf("Extra = %v", d.Extra)
			}
			if !strings.Contains(d.Message, "shown only now") || strings.Contains(d.Message, "Enter one") != tc.wantConfirm {
				t.Errorf("Message = %q", d.Message)
			}
			if d.Secret != "" || d.URI != "" || d.QRPNG != nil {
				t.Errorf("display carries fields a backup code set has no use for: %+v", d)
			}

			st, err := decodePending(resp.PendingState)
			if err != nil {
				t.Fatalf("pending state: %v", err)
			}
			if st.Format != tc.wantFormat || st.KDF.MemoryKiB != minKDFMemoryKiB || st.KDF.Alg != kdfArgon2id || len(st.Hashes) != tc.wantCount || !st.Created.Equal(testNow) {
				t.Fatalf("pending state %+v", st)
			}
			// The pending state holds hashes that match the codes shown, slot
			// by slot, and never a code in any spelling.
			for i, c := range d.Codes {
				plain, err := normalizeCode(c, st.Format, st.Length)
				if err != nil {
					t.Fatalf("code %d %q: %v", i, c, err)
				}
				if !bytes.Equal(st.KDF.hash(plain, st.Salt, i), st.Hashes[i]) {
					t.Errorf("code %d does not match the hash of slot %d", i, i)
				}
				if len(st.IndexKey) != indexKeyLen || !bytes.Equal(newIndexer(st.IndexKey).index(plain, i), st.Indexes[i]) {
					t.Errorf("code %d does not match the index of slot %d", i, i)
				}
				for _, spelling := range []string{c, plain, strings.ToUpper(plain), base64.StdEncoding.EncodeToString([]byte(plain))} {
					if bytes.Contains(resp.PendingState, []byte(spelling)) {
						t.Errorf("pending state contains code %d as %q", i, spelling)
					}
				}
			}
		})
	}
}

// Two enrollments draw unrelated sets: other codes, another salt.
func TestBeginEnrollmentDrawsNewSets(t *testing.T) {
	f := New()
	a, b := begin(t, f), begin(t, f)
	sa, _ := decodePending(a.PendingState)
	sb, _ := decodePending(b.PendingState)
	if bytes.Equal(sa.Salt, sb.Salt) {
		t.Fatal("two sets share a salt")
	}
	for _, c := range a.Display.Codes {
		for _, d := range b.Display.Codes {
			if c == d {
				t.Fatalf("code %q is in both sets", c)
			}
		}
	}
}

func TestBeginEnrollmentErrors(t *testing.T) {
	tests := []struct {
		name string
		f    *Factor
		now  time.Time
	}{
		{"zero time", New(), time.Time{}},
		{"before 1970", New(), time.Unix(-1, 0)},
		{"after 9999", New(), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"failing random source", New(WithRand(failingReader{})), testNow},
		{"constant random source", New(WithRand(zeroReader{})), testNow},
		{"source dry before the salt", New(WithRand(&scriptReader{b: bytes.Repeat([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 8)})), testNow},
		{"source dry before the index key", New(WithRand(&scriptReader{b: bytes.Repeat([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 9)[:10*8+saltLen]})), testNow},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := tc.f.BeginEnrollment(context.Background(), sdk.BeginEnrollmentRequest{User: sdk.User{ID: "u"}, Now: tc.now})
			if err == nil {
				t.Fatalf("BeginEnrollment succeeded: %+v", resp)
			}
			if resp.PendingState != nil || resp.Display.Codes != nil {
				t.Fatalf("an error came with a state or codes")
			}
		})
	}
}

func TestFinishEnrollment(t *testing.T) {
	later := testNow.Add(time.Minute)
	tests := []struct {
		name     string
		settings string
		proof    func(codes []string) string
		now      time.Time
		want     sdk.Result
		reason   string // in the reason of a refusal
		usedSlot int    // the slot spent on ResultOK; -1: none
	}{
		{"implicit, no code", `{}`, noCode, later, sdk.ResultOK, "", -1},
		{"implicit, blank code", `{}`, func([]string) string { return "  " }, later, sdk.ResultOK, "", -1},
		{"implicit, a code is spent", `{}`, func(c []string) string { return c[3] }, later, sdk.ResultOK, "", 3},
		{"implicit, a wrong code", `{}`, func([]string) string { return "0000-0000-0000-0000" }, later, sdk.ResultInvalid, "not correct", -1},
		{"implicit, a malformed code", `{}`, func([]string) string { return "hello" }, later, sdk.ResultInvalid, "16 characters, 0-9 and a-f", -1},
		{"with a code, none given", `{"confirm_with_code":true}`, noCode, later, sdk.ResultInvalid, "enter one of the backup codes", -1},
		{"with a code, first", `{"confirm_with_code":true}`, func(c []string) string { return c[0] }, later, sdk.ResultOK, "", 0},
		{"with a code, last, typed loosely", `{"confirm_with_code":true}`,
			func(c []string) string { return " " + strings.ToUpper(strings.ReplaceAll(c[9], "-", " ")) + "\n" }, later, sdk.ResultOK, "", 9},
		{"with a code, wrong", `{"confirm_with_code":true}`, func([]string) string { return "0000000000000000" }, later, sdk.ResultInvalid, "not correct", -1},
		{"with a code, digits set", `{"confirm_with_code":true,"format":"digits"}`, func(c []string) string { return c[1] }, later, sdk.ResultOK, "", 1},
		{"with a code, hex letters in a digits set", `{"confirm_with_code":true,"format":"digits"}`,
			func([]string) string { return "abcd-abcd-abcd-abcd" }, later, sdk.ResultInvalid, "16 digits", -1},
		{"last instant", `{}`, noCode, testNow.Add(10*time.Minute - time.Nanosecond), sdk.ResultOK, "", -1},
		{"expired at the TTL", `{}`, noCode, testNow.Add(10 * time.Minute), sdk.ResultExpired, "expired", -1},
		{"expired, with a valid code", `{"confirm_with_code":true}`, func(c []string) string { return c[0] }, testNow.Add(time.Hour), sdk.ResultExpired, "expired", -1},
		{"configured TTL", `{"enrollment_ttl":"2h"}`, noCode, testNow.Add(time.Hour + 59*time.Minute), sdk.ResultOK, "", -1},
		{"configured TTL, expired", `{"enrollment_ttl":"2h"}`, noCode, testNow.Add(2 * time.Hour), sdk.ResultExpired, "expired", -1},
		{"zero time", `{}`, noCode, time.Time{}, sdk.ResultInvalid, "time", -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := configure(t, tc.settings)
			b := begin(t, f)
			resp, err := f.FinishEnrollment(context.Background(), sdk.FinishEnrollmentRequest{
				PendingState: b.PendingState,
				Proof:        sdk.Proof{Code: tc.proof(b.Display.Codes)},
				Now:          tc.now,
			})
			if err != nil {
				t.Fatalf("FinishEnrollment: %v", err)
			}
			if resp.Result != tc.want {
				t.Fatalf("result %v (%q), want %v", resp.Result, resp.Reason, tc.want)
			}
			if tc.want != sdk.ResultOK {
				if resp.CredentialState != nil || resp.PendingState != nil || !strings.Contains(resp.Reason, tc.reason) {
					t.Fatalf("refusal: reason %q (want %q), states %q %q", resp.Reason, tc.reason, resp.CredentialState, resp.PendingState)
				}
				return
			}

			checkCredential(t, b.PendingState, resp.CredentialState, tc.usedSlot, tc.now)
			wantLeft := len(b.Display.Codes)
			if tc.usedSlot >= 0 {
				wantLeft--
			}
			if resp.Display.Remaining != wantLeft || resp.Display.Codes != nil {
				t.Fatalf("display %+v, want %d remaining and no codes", resp.Display, wantLeft)
			}
			// The code spent on confirmation cannot log in; every other can.
			for i, c := range b.Display.Codes {
				want := sdk.ResultOK
				if i == tc.usedSlot {
					want = sdk.ResultReplayed
				}
				if got := verify(t, f, resp.CredentialState, c, testNow.Add(time.Hour)).Result; got != want {
					t.Errorf("Verify code %d after enrollment = %v, want %v", i, got, want)
				}
			}
		})
	}
}

// checkCredential fails unless the credential has the index key and
// indexes of the pending state it was made from, and only usedSlot (-1:
// none) used, at now.
func checkCredential(t *testing.T, pendingState, credential []byte, usedSlot int, now time.Time) {
	t.Helper()
	pending, err := decodePending(pendingState)
	if err != nil {
		t.Fatal(err)
	}
	st := mustDecodeCredential(t, credential)
	for i, c := range st.Codes {
		if used := !c.UsedAt.IsZero(); used != (i == usedSlot) || (used && !c.UsedAt.Equal(now)) {
			t.Errorf("slot %d used at %v; want slot %d used at %v", i, c.UsedAt, usedSlot, now)
		}
	}
	if !bytes.Equal(st.IndexKey, pending.IndexKey) {
		t.Errorf("credential index key %x, pending %x", st.IndexKey, pending.IndexKey)
	}
	for i, c := range st.Codes {
		if !bytes.Equal(c.Index, pending.Indexes[i]) {
			t.Errorf("slot %d index %x, pending %x", i, c.Index, pending.Indexes[i])
		}
	}
}

func TestFinishEnrollmentBadState(t *testing.T) {
	f := New()
	b := begin(t, f)
	_, cred := enroll(t, f, noCode)
	tests := []struct {
		name  string
		state []byte
	}{
		{"nil", nil},
		{"empty", []byte{}},
		{"garbage", []byte("\x00\x01garbage\xff")},
		{"truncated", b.PendingState[:len(b.PendingState)/2]},
		{"credential state", cred},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := f.FinishEnrollment(context.Background(), sdk.FinishEnrollmentRequest{PendingState: tc.state, Now: testNow.Add(time.Minute)})
			if !errors.Is(err, sdk.ErrBadState) {
				t.Fatalf("FinishEnrollment error = %v, want sdk.ErrBadState", err)
			}
			if resp.Result == sdk.ResultOK || resp.CredentialState != nil {
				t.Fatalf("bad state gave %v with state %q", resp.Result, resp.CredentialState)
			}
		})
	}
}
