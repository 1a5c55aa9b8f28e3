package sdk

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// DecodeSettings reads operator settings (a JSON object; empty input and null
// are no settings) into dst, a pointer to a struct whose fields carry json
// tags. Set the defaults in dst first: absent keys keep them. Every failure
// wraps ErrInvalidSettings and names the key: a key no field is tagged with,
// null as a value, a value of the wrong type, invalid UTF-8. When dst has a
// method Validate() error, it is called last and its error is wrapped too.
//
//	s := settings{Digits: 6, TTL: sdk.Duration(5 * time.Minute)}
//	if err := sdk.DecodeSettings(raw, &s); err != nil { return nil, err }
func DecodeSettings(raw json.RawMessage, dst any) error {
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("%w: DecodeSettings needs a pointer to a struct, got %T", ErrInvalidSettings, dst)
	}
	fields, err := SettingsObject(raw)
	if err != nil {
		return fmt.Errorf("%w: settings %v", ErrInvalidSettings, err)
	}
	byKey := settingFields(v.Elem())
	for _, key := range slices.Sorted(maps.Keys(fields)) {
		field, ok := byKey[key]
		if !ok {
			return fmt.Errorf("%w: unknown setting %q (known: %s)", ErrInvalidSettings, key, strings.Join(slices.Sorted(maps.Keys(byKey)), ", "))
		}
		value := fields[key]
		switch {
		case IsNullSetting(value):
			return fmt.Errorf("%w: setting %q: null is not a value; leave the key out for the default", ErrInvalidSettings, key)
		case !utf8.Valid(value):
			return fmt.Errorf("%w: setting %q: must be valid UTF-8", ErrInvalidSettings, key)
		}
		if err := json.Unmarshal(value, field.Addr().Interface()); err != nil {
			return fmt.Errorf("%w: setting %q: %s", ErrInvalidSettings, key, settingTypeError(err, field.Type()))
		}
	}
	if val, ok := dst.(interface{ Validate() error }); ok {
		if err := val.Validate(); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidSettings, err)
		}
	}
	return nil
}

// settingFields maps each json tag of the struct s to its field. Untagged
// and unexported fields, and fields tagged "-", take no setting.
func settingFields(s reflect.Value) map[string]reflect.Value {
	out := map[string]reflect.Value{}
	for i := range s.NumField() {
		f := s.Type().Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "" || name == "-" {
			continue
		}
		out[name] = s.Field(i)
	}
	return out
}

// settingTypeError says what a setting should have been, without repeating
// its value (which may be a secret).
func settingTypeError(err error, t reflect.Type) string {
	var typeErr *json.UnmarshalTypeError
	if !errors.As(err, &typeErr) && !errors.Is(err, errBadDuration) {
		var syntaxErr *json.SyntaxError
		if errors.As(err, &syntaxErr) {
			return "not valid JSON"
		}
		return err.Error()
	}
	switch t {
	case reflect.TypeFor[Duration]():
		return `must be a duration such as "30s"`
	}
	switch t.Kind() {
	case reflect.String:
		return "must be a string"
	case reflect.Bool:
		return "must be true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "must be an integer"
	case reflect.Float32, reflect.Float64:
		return "must be a number"
	case reflect.Slice, reflect.Array:
		return "must be a list"
	}
	return "must be an object"
}

// Duration is a setting written as a Go duration string ("30s", "5m").
type Duration time.Duration

var errBadDuration = errors.New(`must be a duration such as "30s"`)

// UnmarshalJSON reads a duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var text string
	if err := json.Unmarshal(b, &text); err != nil {
		return errBadDuration
	}
	parsed, err := time.ParseDuration(text)
	if err != nil {
		return errBadDuration
	}
	*d = Duration(parsed)
	return nil
}

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}
