package sdk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// Helpers for reading operator settings in Configure. Each returns an error
// meant to follow the setting's name ("setting \"digits\": must be an
// integer"), so a factor wraps it with ErrInvalidSettings and the key.

// SettingsObject reads the settings as a JSON object; empty input and null
// are an empty object.
func SettingsObject(raw json.RawMessage) (map[string]json.RawMessage, error) {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || IsNullSetting(trimmed) {
		return map[string]json.RawMessage{}, nil
	}
	if trimmed[0] != '{' {
		return nil, errors.New("must be a JSON object")
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &fields); err != nil {
		return nil, fmt.Errorf("must be a JSON object: %v", err)
	}
	return fields, nil
}

// IsNullSetting reports whether a setting's value is JSON null.
func IsNullSetting(raw json.RawMessage) bool {
	return bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

// SettingString reads a string setting; invalid UTF-8 is refused rather than
// quietly replaced.
func SettingString(raw json.RawMessage) (string, error) {
	if IsNullSetting(raw) {
		return "", errors.New("must be a string, not null")
	}
	if !utf8.Valid(raw) {
		return "", errors.New("must be valid UTF-8")
	}
	var v string
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", errors.New("must be a string")
	}
	return v, nil
}

// SettingInt reads an integer setting (a fraction is refused).
func SettingInt(raw json.RawMessage) (int, error) {
	if IsNullSetting(raw) {
		return 0, errors.New("must be an integer, not null")
	}
	var v int
	if err := json.Unmarshal(raw, &v); err != nil {
		return 0, errors.New("must be an integer")
	}
	return v, nil
}

// SettingBool reads a true/false setting.
func SettingBool(raw json.RawMessage) (bool, error) {
	if IsNullSetting(raw) {
		return false, errors.New("must be true or false, not null")
	}
	var v bool
	if err := json.Unmarshal(raw, &v); err != nil {
		return false, errors.New("must be true or false")
	}
	return v, nil
}

// SettingDuration reads a Go duration string ("30s", "5m").
func SettingDuration(raw json.RawMessage) (time.Duration, error) {
	text, err := SettingString(raw)
	if err != nil {
		return 0, fmt.Errorf("%v (a duration such as \"30s\")", err)
	}
	d, err := time.ParseDuration(text)
	if err != nil {
		return 0, fmt.Errorf("must be a duration such as \"30s\", got %q", text)
	}
	return d, nil
}
