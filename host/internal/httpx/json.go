package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// ErrDuplicateKey reports a JSON object that names one member twice.
var ErrDuplicateKey = errors.New("a member is given more than once")

// CheckDuplicateKeys reports ErrDuplicateKey (wrapped with the member's
// name) when an object anywhere in the JSON document body names a member
// twice. Go's decoder keeps the last of them while other parsers keep the
// first, so a proxy in front of the host could read another request than the
// host does: every JSON door refuses such a body. Syntax errors are left to
// the door's own decoding; this only looks for duplicates.
func CheckDuplicateKeys(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	err := checkValue(dec)
	if errors.Is(err, ErrDuplicateKey) {
		return err
	}
	return nil
}

// checkValue reads one value from dec, checking every object in it.
func checkValue(dec *json.Decoder) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		return checkObject(dec)
	case json.Delim('['):
		for dec.More() {
			if err := checkValue(dec); err != nil {
				return err
			}
		}
		_, err := dec.Token()
		return err
	}
	return nil
}

// checkObject reads the members of an object whose '{' was read.
func checkObject(dec *json.Decoder) error {
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		name, ok := tok.(string)
		if !ok {
			return io.ErrUnexpectedEOF
		}
		if seen[name] {
			return fmt.Errorf("%w: %q", ErrDuplicateKey, name)
		}
		seen[name] = true
		if err := checkValue(dec); err != nil {
			return err
		}
	}
	_, err := dec.Token()
	return err
}
