package plugins

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/mod/sumdb/dirhash"
)

// BinaryPrefix starts the file name of every factor plugin binary.
const BinaryPrefix = "factorgate-factor-"

// ErrChecksumMismatch is returned when a plugin binary's SHA-256, or the
// tree hash of its directory, is not the pinned one.
var ErrChecksumMismatch = errors.New("plugin checksum mismatch")

// errBadPin reports a pin that is not 64 hex digits.
var errBadPin = errors.New("pinned hash is not 64 hex digits")

// HashFile returns the hex SHA-256 of the file at path, the value an operator
// pins in the configuration.
func HashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("hash plugin: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash plugin %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// parsePin validates a pinned SHA-256 written as 64 hex digits.
func parsePin(pin string) ([]byte, error) {
	pin = strings.ToLower(strings.TrimSpace(pin))
	sum, err := hex.DecodeString(pin)
	if err != nil || len(sum) != sha256.Size {
		return nil, fmt.Errorf("%w: %q", errBadPin, pin)
	}
	return sum, nil
}

// verifyPin checks the file against its pin and names the file and both hashes
// when they differ.
func verifyPin(path, pin string) error {
	got, err := HashFile(path)
	if err != nil {
		return err
	}
	if got != strings.ToLower(strings.TrimSpace(pin)) {
		return fmt.Errorf("%w: %s has SHA-256 %s but the configuration pins %s; refusing to run it",
			ErrChecksumMismatch, path, got, strings.ToLower(strings.TrimSpace(pin)))
	}
	return nil
}

// HashTree returns the hex tree hash of the directory dir, the value an
// operator pins as tree_sha256 for a plugin whose code is more than its
// launched file (an interpreted plugin's sources). It is the SHA-256 of a
// manifest that lists, sorted by slash-separated path, each regular file's
// SHA-256 and path (the "h1" directory hash of Go modules, written in hex), so
// adding, removing, renaming or changing any file changes it.
func HashTree(dir string) (string, error) {
	h1, err := dirhash.HashDir(dir, "", dirhash.Hash1)
	if err != nil {
		return "", fmt.Errorf("hash plugin tree %s: %w", dir, err)
	}
	sum, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(h1, "h1:"))
	if err != nil {
		return "", fmt.Errorf("hash plugin tree %s: %w", dir, err)
	}
	return hex.EncodeToString(sum), nil
}

// verifyTree checks the directory against its pinned tree hash.
func verifyTree(dir, pin string) error {
	got, err := HashTree(dir)
	if err != nil {
		return err
	}
	want := strings.ToLower(strings.TrimSpace(pin))
	if got != want {
		return fmt.Errorf("%w: the files under %s hash to %s but the configuration pins tree_sha256 %s; refusing to run the plugin",
			ErrChecksumMismatch, dir, got, want)
	}
	return nil
}

// verify checks everything the binary pins: the launched file and, when
// pinned, the directory tree it runs from. It runs before every launch, so a
// file changed while the host runs is refused when a process is replaced.
func (b Binary) verify() error {
	if err := verifyPin(b.Path, b.SHA256); err != nil {
		return err
	}
	if b.TreeSHA256 == "" {
		return nil
	}
	return verifyTree(b.TreeDir, b.TreeSHA256)
}

// Discover lists the factor plugin binaries in dir (files named
// factorgate-factor-<name>), with their current hashes. It is for the
// zero-config development start and `plugins list`; a deployment pins hashes
// in its configuration instead of trusting whatever is in the directory.
func Discover(dir string) ([]Binary, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("discover plugins in %s: %w", dir, err)
	}
	var out []Binary
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasPrefix(name, BinaryPrefix) || len(name) == len(BinaryPrefix) {
			continue
		}
		info, err := e.Info()
		if err != nil || info.Mode()&0o111 == 0 {
			continue
		}
		path := filepath.Join(dir, name)
		sum, err := HashFile(path)
		if err != nil {
			return nil, err
		}
		out = append(out, Binary{Name: strings.TrimPrefix(name, BinaryPrefix), Path: path, SHA256: sum})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
