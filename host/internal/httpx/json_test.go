package httpx

import (
	"errors"
	"testing"
)

func TestCheckDuplicateKeys(t *testing.T) {
	for _, tc := range []struct {
		name string
		body string
		dup  bool
	}{
		{"flat", `{"code":"1","factor":"totp"}`, false},
		{"duplicate", `{"code":"1","code":"2"}`, true},
		{"duplicate with other case is another member", `{"code":"1","Code":"2"}`, false},
		{"nested duplicate", `{"a":{"b":1,"b":2}}`, true},
		{"duplicate in an array's object", `[{"x":1},{"y":1,"y":2}]`, true},
		{"same name at two levels", `{"a":{"a":1}}`, false},
		{"same name in sibling objects", `[{"a":1},{"a":2}]`, false},
		{"escaped duplicate", `{"code":"1","c\u006fde":"2"}`, true},
		{"not JSON", `{"code":`, false},
		{"empty", ``, false},
		{"scalar", `"x"`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckDuplicateKeys([]byte(tc.body))
			if got := errors.Is(err, ErrDuplicateKey); got != tc.dup {
				t.Fatalf("CheckDuplicateKeys(%s) = %v, want duplicate %v", tc.body, err, tc.dup)
			}
		})
	}
}

func FuzzCheckDuplicateKeys(f *testing.F) {
	for _, s := range []string{`{"a":1,"a":2}`, `[{"b":[{"c":1}]}]`, `{"x":"y"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		_ = CheckDuplicateKeys(body) // must not panic or hang
	})
}
