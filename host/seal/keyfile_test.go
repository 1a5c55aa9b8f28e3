package seal_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/factorgate/factorgate/host/seal"
)

func TestLoadOrCreateKeyFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "factorgate")
	path := filepath.Join(dir, "seal.key")
	random := bytes.NewReader(bytes.Repeat([]byte{0x42}, 32))

	s1, created, err := seal.LoadOrCreateKeyFile(path, random)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if !created {
		t.Error("created = false for a missing file")
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		if got := fi.Mode().Perm(); got != 0o600 {
			t.Errorf("key file mode = %o, want 600", got)
		}
		di, err := os.Stat(dir)
		if err != nil {
			t.Fatal(err)
		}
		if got := di.Mode().Perm(); got != 0o700 {
			t.Errorf("key directory mode = %o, want 700", got)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := seal.FormatKeys(seal.Key{ID: s1.ActiveKeyID(), Secret: bytes.Repeat([]byte{0x42}, 32)}) + "\n"
	if string(data) != want {
		t.Errorf("key file holds %q, want %q", data, want)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("key directory holds %d entries, want only the key file", len(entries))
	}

	aad := seal.AAD("credential", "c1", "u1")
	blob := mustSeal(t, s1, []byte("JBSWY3DPEHPK3PXP"), aad)

	s2, created, err := seal.LoadOrCreateKeyFile(path, errReader{})
	if err != nil {
		t.Fatalf("reload: %v", err)
	}
	if created {
		t.Error("created = true for an existing file")
	}
	if s2.ActiveKeyID() != s1.ActiveKeyID() {
		t.Errorf("reloaded active key %q, want %q", s2.ActiveKeyID(), s1.ActiveKeyID())
	}
	if got, err := s2.Open(blob, aad); err != nil || string(got) != "JBSWY3DPEHPK3PXP" {
		t.Errorf("reloaded Sealer: Open = %q, %v", got, err)
	}
	after, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(after, data) {
		t.Errorf("reload changed the key file: %q, %v", after, err)
	}
}

func TestLoadOrCreateKeyFileExisting(t *testing.T) {
	k1 := testKey("current", 1)
	k0 := testKey("previous", 2)
	tests := []struct {
		name    string
		content string
		active  string
		wantErr string
	}{
		{"env line", seal.FormatKeys(k1, k0), "current", ""},
		{"comments and blank lines", "# development key\n\n" + seal.FormatKeys(k1) + "\n" + seal.FormatKeys(k0) + "\n", "current", ""},
		{"crlf", seal.FormatKeys(k1, k0) + "\r\n", "current", ""},
		{"empty file", "", "", "holds no keys"},
		{"comments only", "# nothing\n", "", "holds no keys"},
		{"bad key", "current:not base64", "", `entry 1 (id "current"): key is not valid base64`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "seal.key")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			s, created, err := seal.LoadOrCreateKeyFile(path, nil)
			if created {
				t.Error("created = true for an existing file")
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), path) {
					t.Errorf("error %q does not name the file", err)
				}
				// A broken key file is reported, never replaced.
				if got, _ := os.ReadFile(path); string(got) != tt.content {
					t.Errorf("key file rewritten to %q", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.ActiveKeyID() != tt.active {
				t.Errorf("ActiveKeyID = %q, want %q", s.ActiveKeyID(), tt.active)
			}
		})
	}
}

func TestLoadOrCreateKeyFileErrors(t *testing.T) {
	dir := t.TempDir()

	// The random source fails: nothing is written.
	path := filepath.Join(dir, "a", "seal.key")
	if _, _, err := seal.LoadOrCreateKeyFile(path, errReader{}); err == nil {
		t.Error("LoadOrCreateKeyFile succeeded with a failing random source")
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("key file exists after a failed create: %v", err)
	}

	// The path is a directory.
	if _, _, err := seal.LoadOrCreateKeyFile(dir, nil); err == nil {
		t.Error("LoadOrCreateKeyFile accepted a directory")
	}

	// The parent is a file.
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := seal.LoadOrCreateKeyFile(filepath.Join(blocker, "seal.key"), nil); err == nil {
		t.Error("LoadOrCreateKeyFile succeeded under a regular file")
	}
}

func TestLoadOrCreateKeyFileConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "seal.key")
	const n = 16
	sealers := make([]*seal.Sealer, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			s, _, err := seal.LoadOrCreateKeyFile(path, nil)
			if err != nil {
				t.Error(err)
				return
			}
			sealers[i] = s
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	// Every caller ends up with the key that is in the file.
	fromFile, created, err := seal.LoadOrCreateKeyFile(path, nil)
	if err != nil || created {
		t.Fatalf("reload: created=%v, %v", created, err)
	}
	blob := mustSeal(t, fromFile, []byte("x"), nil)
	for i, s := range sealers {
		if _, err := s.Open(blob, nil); err != nil {
			t.Errorf("caller %d holds a different key: %v", i, err)
		}
	}
}
