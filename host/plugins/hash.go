package plugins

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// BinaryPrefix starts the file name of every factor plugin binary.
const BinaryPrefix = "factorgate-factor-"

// ErrChecksumMismatch is returned when a plugin binary's SHA-256 is not the pinned one.
var ErrChecksumMismatch = errors.New("plugin checksum mismatch")

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
		return nil, fmt.Errorf("pinned sha256 %q is not 64 hex digits", pin)
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
