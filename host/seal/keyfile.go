package seal

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// devKeyID is the id of the key LoadOrCreateKeyFile generates.
const devKeyID = "dev"

// LoadOrCreateKeyFile supports the zero-configuration development start. If
// the file at path exists it is read as FACTORGATE_SEAL_KEYS (blank lines and
// lines starting with '#' are ignored; several key lines are joined as
// further entries). Otherwise a fresh key is generated from random
// (crypto/rand when nil) and written to path in that format: the parent
// directory is created with mode 0700 if missing, and the file gets mode 0600
// and appears atomically (temporary file, then link or rename), so a
// concurrent reader never sees a partial key. If another process creates the
// file first, its key is used. created reports whether this call wrote the
// file; the caller should warn that a development key is in use.
//
// The returned Sealer reads nonces from crypto/rand; random is only used for
// the key.
func LoadOrCreateKeyFile(path string, random io.Reader) (s *Sealer, created bool, err error) {
	s, err = loadKeyFile(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return s, false, err
	}

	key, err := GenerateKey(devKeyID, random)
	if err != nil {
		return nil, false, err
	}
	defer clear(key.Secret)
	s, err = New(key)
	if err != nil {
		return nil, false, err
	}
	line := FormatKeys(key) + "\n"

	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, fmt.Errorf("seal: creating key file directory: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, false, fmt.Errorf("seal: creating key file: %w", err)
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName) // no-op once linked away or renamed
	werr := tmp.Chmod(0o600)
	if werr == nil {
		_, werr = tmp.WriteString(line)
	}
	if werr == nil {
		werr = tmp.Sync()
	}
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return nil, false, fmt.Errorf("seal: writing key file: %w", werr)
	}

	// A hard link publishes the file without replacing one that another
	// process created meanwhile; fall back to rename where links are not
	// supported.
	switch lerr := os.Link(tmpName, path); {
	case lerr == nil:
	case errors.Is(lerr, fs.ErrExist):
		s, err = loadKeyFile(path)
		return s, false, err
	default:
		if err := os.Rename(tmpName, path); err != nil {
			return nil, false, fmt.Errorf("seal: writing key file: %w", err)
		}
	}
	syncDir(dir)
	return s, true, nil
}

// loadKeyFile parses an existing key file. Errors wrap fs.ErrNotExist when
// the file is missing.
func loadKeyFile(path string) (*Sealer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("seal: reading key file: %w", err)
	}
	var entries []string
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		entries = append(entries, line)
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("seal: key file %s holds no keys", path)
	}
	s, err := ParseKeys(strings.Join(entries, ","))
	if err != nil {
		return nil, fmt.Errorf("%w (in key file %s)", err, path)
	}
	return s, nil
}

// syncDir makes a rename or link in dir durable where the platform allows
// it; failures are ignored because the file itself is already synced.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}
