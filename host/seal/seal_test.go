package seal_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/factorgate/factorgate/host/seal"
)

// testKey returns a key whose secret is 32 copies of b.
func testKey(id string, b byte) seal.Key {
	return seal.Key{ID: id, Secret: bytes.Repeat([]byte{b}, seal.KeySize)}
}

func mustNew(t testing.TB, active seal.Key, older ...seal.Key) *seal.Sealer {
	t.Helper()
	s, err := seal.New(active, older...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func mustSeal(t testing.TB, s *seal.Sealer, pt, aad []byte) []byte {
	t.Helper()
	blob, err := s.Seal(pt, aad)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	return blob
}

// errReader fails every read.
type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("entropy exhausted") }

// counterReader yields an endless predictable byte stream. It is not safe
// for concurrent use on its own, which is what the Sealer's lock is for.
type counterReader struct{ next *byte }

func (r counterReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = *r.next
		*r.next++
	}
	return len(p), nil
}

func TestRoundTrip(t *testing.T) {
	s := mustNew(t, testKey("k1", 1))
	tests := []struct {
		name      string
		plaintext []byte
		aad       []byte
	}{
		{"empty plaintext, nil aad", nil, nil},
		{"empty plaintext", []byte{}, seal.AAD("credential", "c1", "u1")},
		{"totp secret", []byte("JBSWY3DPEHPK3PXP"), seal.AAD("credential", "c1", "u1")},
		{"binary", []byte{0, 1, 2, 255, 0}, seal.AAD("challenge", "ch1")},
		{"large", bytes.Repeat([]byte("x"), 1<<16), seal.AAD("credential", "c2", "u2")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			blob := mustSeal(t, s, tt.plaintext, tt.aad)
			wantLen := 2 + len("k1") + seal.NonceSize + len(tt.plaintext) + 16
			if len(blob) != wantLen {
				t.Errorf("blob length = %d, want %d", len(blob), wantLen)
			}
			if blob[0] != 1 || blob[1] != 2 || string(blob[2:4]) != "k1" {
				t.Errorf("blob header = %x, want version 1 and key id k1", blob[:4])
			}
			if len(tt.plaintext) >= 8 && bytes.Contains(blob, tt.plaintext) {
				t.Error("blob contains the plaintext")
			}
			got, err := s.Open(blob, tt.aad)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if !bytes.Equal(got, tt.plaintext) {
				t.Errorf("Open = %q, want %q", got, tt.plaintext)
			}
		})
	}
}

func TestSealUsesFreshNonces(t *testing.T) {
	s := mustNew(t, testKey("k1", 1))
	a := mustSeal(t, s, []byte("same"), nil)
	b := mustSeal(t, s, []byte("same"), nil)
	if bytes.Equal(a, b) {
		t.Fatal("two seals of the same plaintext are identical")
	}
}

func TestOpenWrongAAD(t *testing.T) {
	s := mustNew(t, testKey("k1", 1))
	good := seal.AAD("credential", "cred-1", "user-1")
	blob := mustSeal(t, s, []byte("JBSWY3DPEHPK3PXP"), good)
	tests := []struct {
		name string
		aad  []byte
	}{
		{"another user", seal.AAD("credential", "cred-1", "user-2")},
		{"another credential", seal.AAD("credential", "cred-2", "user-1")},
		{"challenge blob used as credential", seal.AAD("challenge", "cred-1", "user-1")},
		{"ids swapped", seal.AAD("credential", "user-1", "cred-1")},
		{"extra id", seal.AAD("credential", "cred-1", "user-1", "")},
		{"missing id", seal.AAD("credential", "cred-1")},
		{"nil aad", nil},
		{"raw concatenation", []byte("credentialcred-1user-1")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Open(blob, tt.aad)
			if !errors.Is(err, seal.ErrOpen) {
				t.Fatalf("Open = %q, %v; want ErrOpen", got, err)
			}
			if errors.Is(err, seal.ErrUnknownKey) {
				t.Errorf("error %v matches ErrUnknownKey", err)
			}
		})
	}
}

func TestOpenTampered(t *testing.T) {
	s := mustNew(t, testKey("key-1", 1))
	aad := seal.AAD("credential", "c1", "u1")
	blob := mustSeal(t, s, []byte("secret state"), aad)
	for i := range blob {
		for _, mask := range []byte{0x01, 0x80, 0xff} {
			tampered := bytes.Clone(blob)
			tampered[i] ^= mask
			if got, err := s.Open(tampered, aad); !errors.Is(err, seal.ErrOpen) {
				t.Errorf("byte %d ^ %#x: Open = %q, %v; want ErrOpen", i, mask, got, err)
			}
		}
	}
	for n := range len(blob) {
		if got, err := s.Open(blob[:n], aad); !errors.Is(err, seal.ErrOpen) {
			t.Errorf("truncated to %d bytes: Open = %q, %v; want ErrOpen", n, got, err)
		}
	}
	if got, err := s.Open(append(bytes.Clone(blob), 0), aad); !errors.Is(err, seal.ErrOpen) {
		t.Errorf("extra byte: Open = %q, %v; want ErrOpen", got, err)
	}
}

// setKeyID rewrites the key id in a blob's header.
func setKeyID(blob []byte, id string) []byte {
	oldLen := int(blob[1])
	out := []byte{blob[0], byte(len(id))}
	out = append(out, id...)
	return append(out, blob[2+oldLen:]...)
}

func TestOpenKeyIDSwapped(t *testing.T) {
	// "a" and "b" share a secret, so only the authenticated header can tell
	// them apart.
	same := testKey("a", 7)
	alias := seal.Key{ID: "b", Secret: same.Secret}
	aliasLong := seal.Key{ID: "bb", Secret: same.Secret}
	other := testKey("c", 8)
	s := mustNew(t, same, alias, aliasLong, other)
	aad := seal.AAD("credential", "c1", "u1")
	blob := mustSeal(t, s, []byte("secret"), aad)
	if _, err := s.Open(blob, aad); err != nil {
		t.Fatalf("Open of untouched blob: %v", err)
	}
	for _, id := range []string{"b", "bb", "c"} {
		t.Run(id, func(t *testing.T) {
			swapped := setKeyID(blob, id)
			if got, _ := seal.KeyID(swapped); got != id {
				t.Fatalf("KeyID after swap = %q, want %q", got, id)
			}
			if got, err := s.Open(swapped, aad); !errors.Is(err, seal.ErrOpen) {
				t.Fatalf("Open = %q, %v; want ErrOpen", got, err)
			}
		})
	}
}

func TestOpenUnknownKey(t *testing.T) {
	old := mustNew(t, testKey("old", 1))
	cur := mustNew(t, testKey("new", 2))
	blob := mustSeal(t, old, []byte("secret"), nil)
	_, err := cur.Open(blob, nil)
	if !errors.Is(err, seal.ErrUnknownKey) || !errors.Is(err, seal.ErrOpen) {
		t.Fatalf("Open = %v; want ErrUnknownKey and ErrOpen", err)
	}
	if !strings.Contains(err.Error(), `"old"`) {
		t.Errorf("error %q does not name the key id", err)
	}
}

func TestOpenMalformed(t *testing.T) {
	s := mustNew(t, testKey("k1", 1))
	valid := mustSeal(t, s, []byte("secret"), nil)
	withVersion := func(v byte) []byte { b := bytes.Clone(valid); b[0] = v; return b }
	withIDLen := func(n byte) []byte { b := bytes.Clone(valid); b[1] = n; return b }
	body := bytes.Repeat([]byte{0}, seal.NonceSize+16)
	tests := []struct {
		name string
		blob []byte
	}{
		{"nil", nil},
		{"empty", []byte{}},
		{"version only", []byte{1}},
		{"header only", []byte{1, 2, 'k', '1'}},
		{"no tag", valid[:2+2+seal.NonceSize+15]},
		{"version 0", withVersion(0)},
		{"version 2", withVersion(2)},
		{"version 255", withVersion(255)},
		{"key id length 0", withIDLen(0)},
		{"key id length 33", append(append([]byte{1, 33}, bytes.Repeat([]byte{'a'}, 33)...), body...)},
		{"key id length past end", withIDLen(255)},
		{"key id with invalid bytes", append([]byte{1, 2, 'k', 0}, body...)},
		{"key id with colon", append([]byte{1, 2, 'k', ':'}, body...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Open(tt.blob, nil)
			if !errors.Is(err, seal.ErrOpen) {
				t.Fatalf("Open = %q, %v; want ErrOpen", got, err)
			}
			if errors.Is(err, seal.ErrUnknownKey) {
				t.Errorf("error %v matches ErrUnknownKey", err)
			}
			if _, err := seal.KeyID(tt.blob); !errors.Is(err, seal.ErrOpen) {
				t.Errorf("KeyID error = %v, want ErrOpen", err)
			}
			if s.NeedsReseal(tt.blob) {
				t.Error("NeedsReseal = true for a malformed blob")
			}
		})
	}
}

func TestRotation(t *testing.T) {
	oldKey, newKey := testKey("2024", 1), testKey("2025", 2)
	before := mustNew(t, oldKey)
	aad := seal.AAD("credential", "c1", "u1")
	blob := mustSeal(t, before, []byte("JBSWY3DPEHPK3PXP"), aad)
	if before.NeedsReseal(blob) {
		t.Error("NeedsReseal = true under the key that sealed it")
	}

	after := mustNew(t, newKey, oldKey)
	if got := after.ActiveKeyID(); got != "2025" {
		t.Errorf("ActiveKeyID = %q, want 2025", got)
	}
	if got := after.KeyIDs(); fmt.Sprint(got) != "[2025 2024]" {
		t.Errorf("KeyIDs = %v, want [2025 2024]", got)
	}
	got, err := after.Open(blob, aad)
	if err != nil || string(got) != "JBSWY3DPEHPK3PXP" {
		t.Fatalf("Open of old blob after rotation = %q, %v", got, err)
	}
	if id, err := seal.KeyID(blob); err != nil || id != "2024" {
		t.Errorf("KeyID = %q, %v; want 2024", id, err)
	}
	if !after.NeedsReseal(blob) {
		t.Error("NeedsReseal = false for a blob sealed under the old key")
	}

	resealed, err := after.Reseal(blob, aad)
	if err != nil {
		t.Fatalf("Reseal: %v", err)
	}
	if id, err := seal.KeyID(resealed); err != nil || id != "2025" {
		t.Errorf("KeyID of resealed blob = %q, %v; want 2025", id, err)
	}
	if after.NeedsReseal(resealed) {
		t.Error("NeedsReseal = true for a resealed blob")
	}
	if _, err := after.Reseal(blob, seal.AAD("credential", "c1", "u2")); !errors.Is(err, seal.ErrOpen) {
		t.Errorf("Reseal with wrong aad = %v, want ErrOpen", err)
	}

	// Once the old key is retired, the resealed blob still opens and the
	// old one does not.
	retired := mustNew(t, newKey)
	if got, err := retired.Open(resealed, aad); err != nil || string(got) != "JBSWY3DPEHPK3PXP" {
		t.Errorf("Open of resealed blob = %q, %v", got, err)
	}
	if _, err := retired.Open(blob, aad); !errors.Is(err, seal.ErrUnknownKey) {
		t.Errorf("Open of old blob after retirement = %v, want ErrUnknownKey", err)
	}
}

func TestDeterministicNonce(t *testing.T) {
	s := mustNew(t, testKey("k1", 1))
	nonce := []byte("0123456789ab")
	a := mustSeal(t, s.WithRand(bytes.NewReader(nonce)), []byte("secret"), nil)
	b := mustSeal(t, s.WithRand(bytes.NewReader(nonce)), []byte("secret"), nil)
	if !bytes.Equal(a, b) {
		t.Error("seals with the same injected nonce differ")
	}
	if got := a[4 : 4+seal.NonceSize]; !bytes.Equal(got, nonce) {
		t.Errorf("nonce in blob = %q, want %q", got, nonce)
	}
	if got, err := s.Open(a, nil); err != nil || string(got) != "secret" {
		t.Errorf("Open = %q, %v", got, err)
	}

	if _, err := s.WithRand(bytes.NewReader(nonce[:5])).Seal([]byte("x"), nil); err == nil {
		t.Error("Seal with a short nonce source succeeded")
	}
	if _, err := s.WithRand(errReader{}).Seal([]byte("x"), nil); err == nil {
		t.Error("Seal with a failing nonce source succeeded")
	}
	// WithRand(nil) goes back to crypto/rand.
	if _, err := s.WithRand(errReader{}).WithRand(nil).Seal([]byte("x"), nil); err != nil {
		t.Errorf("Seal after WithRand(nil): %v", err)
	}
}

func TestAADUnambiguous(t *testing.T) {
	tests := []struct {
		name string
		a, b []byte
	}{
		{"boundary moved", seal.AAD("credential", "ab", "c"), seal.AAD("credential", "a", "bc")},
		{"kind absorbs id", seal.AAD("credentialx", "y"), seal.AAD("credential", "xy")},
		{"empty trailing id", seal.AAD("credential", "a"), seal.AAD("credential", "a", "")},
		{"order", seal.AAD("credential", "a", "b"), seal.AAD("credential", "b", "a")},
		{"kind", seal.AAD("credential", "a"), seal.AAD("challenge", "a")},
		{"no ids vs empty kind", seal.AAD(""), seal.AAD("", "")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if bytes.Equal(tt.a, tt.b) {
				t.Errorf("AAD values collide: %x", tt.a)
			}
		})
	}
	if !bytes.Equal(seal.AAD("credential", "c1", "u1"), seal.AAD("credential", "c1", "u1")) {
		t.Error("AAD is not deterministic")
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name   string
		active seal.Key
		older  []seal.Key
		want   string
	}{
		{"short secret", seal.Key{ID: "a", Secret: make([]byte, 16)}, nil, "16 bytes"},
		{"nil secret", seal.Key{ID: "a"}, nil, "0 bytes"},
		{"empty id", testKey("", 1), nil, "invalid key id"},
		{"id too long", testKey(strings.Repeat("a", 33), 1), nil, "invalid key id"},
		{"id with space", testKey("a b", 1), nil, "invalid key id"},
		{"duplicate", testKey("a", 1), []seal.Key{testKey("b", 2), testKey("a", 3)}, `duplicate key id "a"`},
		{"bad older key", testKey("a", 1), []seal.Key{{ID: "b", Secret: make([]byte, 31)}}, `"b" is 31 bytes`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := seal.New(tt.active, tt.older...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New error = %v, want one containing %q", err, tt.want)
			}
		})
	}
	if _, err := seal.New(testKey(strings.Repeat("a", 32), 1)); err != nil {
		t.Errorf("New with a 32-character id: %v", err)
	}
}

func TestValidKeyID(t *testing.T) {
	for id, want := range map[string]bool{
		"a": true, "2025-01_rotation": true, strings.Repeat("Z", 32): true,
		"": false, strings.Repeat("Z", 33): false, "a:b": false, "a,b": false,
		"a b": false, "é": false, "a/b": false, "a.b": false,
	} {
		if got := seal.ValidKeyID(id); got != want {
			t.Errorf("ValidKeyID(%q) = %v, want %v", id, got, want)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	base := mustNew(t, testKey("new", 2), testKey("old", 1))
	oldBlob := mustSeal(t, mustNew(t, testKey("old", 1)), []byte("old"), seal.AAD("credential", "old"))
	for _, s := range []*seal.Sealer{base, base.WithRand(counterReader{new(byte)})} {
		var wg sync.WaitGroup
		for g := range 64 {
			wg.Go(func() {
				for i := range 100 {
					aad := seal.AAD("credential", fmt.Sprint(g), fmt.Sprint(i))
					pt := []byte(fmt.Sprintf("state %d/%d", g, i))
					blob, err := s.Seal(pt, aad)
					if err != nil {
						t.Error(err)
						return
					}
					got, err := s.Open(blob, aad)
					if err != nil || !bytes.Equal(got, pt) {
						t.Errorf("Open = %q, %v; want %q", got, err, pt)
						return
					}
					if _, err := s.Reseal(oldBlob, seal.AAD("credential", "old")); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
	}
}

func TestRedaction(t *testing.T) {
	secret := []byte("this-is-32-bytes-of-key-material")
	key := seal.Key{ID: "k1", Secret: secret}
	s := mustNew(t, key, testKey("k0", 0xab))

	forms := []string{
		string(secret),
		hex.EncodeToString(secret),
		strings.ToUpper(hex.EncodeToString(secret)),
		base64.StdEncoding.EncodeToString(secret),
		fmt.Sprint(secret[:4]),    // [116 104 105 115
		fmt.Sprintf("%d", secret), // decimal bytes
		"171 171 171",             // 0xab of the other key in decimal
		"abababab",
	}
	check := func(label, out string) {
		t.Helper()
		for _, f := range forms {
			if strings.Contains(strings.ToLower(out), strings.ToLower(f)) {
				t.Errorf("%s: output %q contains key material", label, out)
			}
		}
		if !strings.Contains(out, "REDACTED") && !strings.Contains(out, "k1") {
			t.Errorf("%s: output %q is neither redacted nor names the key", label, out)
		}
	}

	type config struct {
		Name string
		Key  seal.Key
		Ptr  *seal.Key
	}
	values := map[string]any{
		"Key": key, "*Key": &key, "Sealer": s,
		"struct": config{Name: "x", Key: key, Ptr: &key},
		"slice":  []seal.Key{key},
	}
	for name, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10.3v"} {
			check(name+" "+verb, fmt.Sprintf(verb, v))
		}
	}

	var buf bytes.Buffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&buf, nil), slog.NewJSONHandler(&buf, nil)} {
		buf.Reset()
		slog.New(h).Info("keys", "key", key, "ptr", &key, "sealer", s)
		check(fmt.Sprintf("slog %T", h), buf.String())
		if !strings.Contains(buf.String(), "k1") {
			t.Errorf("slog output %q does not name the key id", buf.String())
		}
	}
}

func TestGenerateAndFormatKeys(t *testing.T) {
	k1, err := seal.GenerateKey("k1", nil)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := seal.GenerateKey("k2", bytes.NewReader(bytes.Repeat([]byte{5}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	if len(k1.Secret) != seal.KeySize || !bytes.Equal(k2.Secret, bytes.Repeat([]byte{5}, 32)) {
		t.Fatalf("unexpected secrets: %d bytes, %x", len(k1.Secret), k2.Secret)
	}
	env := seal.FormatKeys(k1, k2)
	if !strings.HasPrefix(env, "k1:") || !strings.Contains(env, ",k2:") {
		t.Errorf("FormatKeys = %q", env)
	}
	s, err := seal.ParseKeys(env)
	if err != nil {
		t.Fatalf("ParseKeys(FormatKeys(...)): %v", err)
	}
	if s.ActiveKeyID() != "k1" {
		t.Errorf("ActiveKeyID = %q, want k1", s.ActiveKeyID())
	}
	// A blob sealed with the generated key under a Sealer built directly
	// opens with the one parsed from the env format.
	blob := mustSeal(t, mustNew(t, k2), []byte("x"), nil)
	if got, err := s.Open(blob, nil); err != nil || string(got) != "x" {
		t.Errorf("Open = %q, %v", got, err)
	}

	if _, err := seal.GenerateKey("bad id", nil); err == nil {
		t.Error("GenerateKey accepted an invalid id")
	}
	if _, err := seal.GenerateKey("k3", bytes.NewReader(make([]byte, 31))); err == nil {
		t.Error("GenerateKey accepted a short random source")
	}
	if _, err := seal.GenerateKey("k3", errReader{}); err == nil {
		t.Error("GenerateKey accepted a failing random source")
	}
}

func TestParseKeys(t *testing.T) {
	secret := bytes.Repeat([]byte{0xfb, 0xff, 0xbf}, 11)[:32] // encodes with + / and - _
	std := base64.StdEncoding.EncodeToString(secret)
	url := base64.URLEncoding.EncodeToString(secret)
	if !strings.ContainsAny(std, "+/") || !strings.ContainsAny(url, "-_") {
		t.Fatalf("test secret does not exercise both alphabets: %s %s", std, url)
	}
	encodings := map[string]string{
		"standard":          std,
		"standard unpadded": strings.TrimRight(std, "="),
		"url":               url,
		"url unpadded":      strings.TrimRight(url, "="),
	}
	sealed := mustSeal(t, mustNew(t, seal.Key{ID: "k", Secret: secret}), []byte("x"), nil)
	for name, enc := range encodings {
		t.Run(name, func(t *testing.T) {
			s, err := seal.ParseKeys(" k:" + enc + " ,\n other:" + base64.StdEncoding.EncodeToString(make([]byte, 32)) + "\n")
			if err != nil {
				t.Fatalf("ParseKeys: %v", err)
			}
			if s.ActiveKeyID() != "k" || fmt.Sprint(s.KeyIDs()) != "[k other]" {
				t.Errorf("active %q, ids %v; want k, [k other]", s.ActiveKeyID(), s.KeyIDs())
			}
			if got, err := s.Open(sealed, nil); err != nil || string(got) != "x" {
				t.Errorf("Open = %q, %v", got, err)
			}
		})
	}
}

func TestParseKeysErrors(t *testing.T) {
	good := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("G"), 32))
	short := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("S"), 31))
	long := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("L"), 33))
	badB64 := "!!notbase64-material-QUJDREVGR0hJSktMTU5PUFFSU1RVVldY"
	tests := []struct {
		name   string
		in     string
		want   string   // substring of the error
		secret []string // material that must not appear in the error
	}{
		{"empty", "", "no keys", nil},
		{"blank", "  \n ", "no keys", nil},
		{"empty entry", "a:" + good + ",,b:" + good, "entry 2 is empty", []string{good}},
		{"trailing comma", "a:" + good + ",", "entry 2 is empty", []string{good}},
		{"missing colon", good, "entry 1: missing ':'", []string{good}},
		{"missing id", ":" + good, "entry 1: invalid key id", []string{good}},
		{"id and key swapped", good + ":a", "entry 1: invalid key id", []string{good}},
		{"id too long", strings.Repeat("a", 33) + ":" + good, "entry 1: invalid key id (33 characters)", []string{good}},
		{"id with bad character", "a.b:" + good, "entry 1: invalid key id", []string{good}},
		{"empty key", "a:" + good + ",b:", `entry 2 (id "b"): key is empty`, []string{good}},
		{"bad base64", "a:" + good + ",b:" + badB64, `entry 2 (id "b"): key is not valid base64`, []string{good, badB64, "QUJDREVGR0hJ"}},
		{"mixed alphabets", "a:" + "+-" + good[2:], `entry 1 (id "a"): key is not valid base64`, []string{good[2:]}},
		{"short key", "a:" + short, `entry 1 (id "a"): key decodes to 31 bytes, want 32`, []string{short, "SSSS"}},
		{"long key", "a:" + good + ",b:" + long, `entry 2 (id "b"): key decodes to 33 bytes, want 32`, []string{good, long, "LLLL"}},
		{"duplicate id", "a:" + good + ",b:" + good + ",a:" + good, `entry 3: duplicate key id "a" (also entry 1)`, []string{good}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := seal.ParseKeys(tt.in)
			if err == nil {
				t.Fatalf("ParseKeys succeeded: %v", s)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) {
				t.Errorf("error %q does not contain %q", msg, tt.want)
			}
			for _, m := range append(tt.secret, "GGGG") {
				if strings.Contains(msg, m) {
					t.Errorf("error %q contains key material %q", msg, m)
				}
			}
		})
	}
}

func FuzzOpen(f *testing.F) {
	s := mustNew(f, testKey("active", 1), testKey("old", 2))
	aad := seal.AAD("credential", "c1", "u1")
	f.Add(mustSeal(f, s, []byte("JBSWY3DPEHPK3PXP"), aad))
	f.Add(mustSeal(f, mustNew(f, testKey("old", 2)), []byte(""), aad))
	f.Add(mustSeal(f, mustNew(f, testKey("gone", 3)), []byte("x"), aad))
	f.Add([]byte{})
	f.Add([]byte{1})
	f.Add([]byte{1, 0})
	f.Add([]byte{1, 255, 'a'})
	f.Add([]byte{2, 1, 'a'})
	f.Add(append([]byte{1, 6}, "active"...))
	f.Fuzz(func(t *testing.T, blob []byte) {
		in := bytes.Clone(blob)
		pt, err := s.Open(blob, aad)
		if !bytes.Equal(in, blob) {
			t.Fatal("Open modified its input")
		}
		id, idErr := seal.KeyID(blob)
		needs := s.NeedsReseal(blob)
		if err != nil {
			if !errors.Is(err, seal.ErrOpen) {
				t.Fatalf("Open error %v does not wrap ErrOpen", err)
			}
			if pt != nil {
				t.Fatal("Open returned plaintext with an error")
			}
			return
		}
		// Whatever opened must have a well-formed header naming a held key,
		// and re-sealing it must round-trip.
		if idErr != nil || (id != "active" && id != "old") {
			t.Fatalf("opened blob has key id %q, %v", id, idErr)
		}
		if needs != (id == "old") {
			t.Fatalf("NeedsReseal = %v for key %q", needs, id)
		}
		again, err := s.Open(mustSeal(t, s, pt, aad), aad)
		if err != nil || !bytes.Equal(again, pt) {
			t.Fatalf("re-seal round trip = %q, %v", again, err)
		}
	})
}

// Ensure the io.Reader used in tests satisfies the interface.
var _ io.Reader = errReader{}
