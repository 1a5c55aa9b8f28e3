package sdk

import (
	"encoding/json"
	"testing"
	"time"
)

func TestSettingHelpers(t *testing.T) {
	obj, err := SettingsObject(json.RawMessage(` {"a": 1, "b": "x"} `))
	if err != nil || len(obj) != 2 {
		t.Fatalf("SettingsObject: %v %v", obj, err)
	}
	for _, empty := range []string{"", "null", "  "} {
		if obj, err := SettingsObject(json.RawMessage(empty)); err != nil || len(obj) != 0 {
			t.Errorf("SettingsObject(%q) = %v, %v", empty, obj, err)
		}
	}
	for _, bad := range []string{"[]", `"x"`, "{", "1"} {
		if _, err := SettingsObject(json.RawMessage(bad)); err == nil {
			t.Errorf("SettingsObject(%q) accepted", bad)
		}
	}
	tests := []struct {
		name string
		read func(json.RawMessage) (any, error)
		in   string
		want any
		bad  bool
	}{
		{"string", func(r json.RawMessage) (any, error) { return SettingString(r) }, `"Acme"`, "Acme", false},
		{"string null", func(r json.RawMessage) (any, error) { return SettingString(r) }, `null`, nil, true},
		{"string number", func(r json.RawMessage) (any, error) { return SettingString(r) }, `7`, nil, true},
		{"string bad utf-8", func(r json.RawMessage) (any, error) { return SettingString(r) }, "\"\xff\"", nil, true},
		{"int", func(r json.RawMessage) (any, error) { return SettingInt(r) }, `8`, 8, false},
		{"int fraction", func(r json.RawMessage) (any, error) { return SettingInt(r) }, `8.5`, nil, true},
		{"int string", func(r json.RawMessage) (any, error) { return SettingInt(r) }, `"8"`, nil, true},
		{"bool", func(r json.RawMessage) (any, error) { return SettingBool(r) }, `true`, true, false},
		{"bool null", func(r json.RawMessage) (any, error) { return SettingBool(r) }, `null`, nil, true},
		{"duration", func(r json.RawMessage) (any, error) { return SettingDuration(r) }, `"90s"`, 90 * time.Second, false},
		{"duration number", func(r json.RawMessage) (any, error) { return SettingDuration(r) }, `90`, nil, true},
		{"duration words", func(r json.RawMessage) (any, error) { return SettingDuration(r) }, `"soon"`, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.read(json.RawMessage(tc.in))
			if tc.bad {
				if err == nil {
					t.Fatalf("accepted %s as %v", tc.in, got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}
