package api

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientIP(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	tests := []struct {
		name    string
		remote  string
		xff     []string
		trusted []netip.Prefix
		want    string
	}{
		{name: "direct", remote: "192.0.2.1:5000", want: "192.0.2.1"},
		{name: "forwarded header ignored from an untrusted peer", remote: "192.0.2.1:5000", xff: []string{"198.51.100.7"}, trusted: trusted, want: "192.0.2.1"},
		{name: "forwarded header ignored without trusted proxies", remote: "10.0.0.1:5000", xff: []string{"198.51.100.7"}, want: "10.0.0.1"},
		{name: "one trusted proxy", remote: "10.0.0.1:5000", xff: []string{"198.51.100.7"}, trusted: trusted, want: "198.51.100.7"},
		{name: "spoofed leftmost entry", remote: "10.0.0.1:5000", xff: []string{"203.0.113.66, 198.51.100.7"}, trusted: trusted, want: "198.51.100.7"},
		{name: "chain of trusted proxies", remote: "10.0.0.1:5000", xff: []string{"198.51.100.7, 10.2.3.4", "10.9.9.9"}, trusted: trusted, want: "198.51.100.7"},
		{name: "all trusted", remote: "10.0.0.1:5000", xff: []string{"10.2.3.4"}, trusted: trusted, want: "10.2.3.4"},
		{name: "garbage stops the walk", remote: "10.0.0.1:5000", xff: []string{"198.51.100.7, nonsense"}, trusted: trusted, want: "10.0.0.1"},
		{name: "trusted peer without header", remote: "10.0.0.1:5000", trusted: trusted, want: "10.0.0.1"},
		{name: "ipv6 peer", remote: "[2001:db8::1]:443", want: "2001:db8::1"},
		{name: "ipv6 proxy", remote: "[fd00::1]:443", xff: []string{"2001:db8::7"}, trusted: trusted, want: "2001:db8::7"},
		{name: "mapped ipv4", remote: "[::ffff:192.0.2.1]:80", want: "192.0.2.1"},
		{name: "unparsable remote", remote: "pipe", want: "pipe"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := clientIP(r, tt.trusted); got != tt.want {
				t.Errorf("clientIP = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMetaUsesTrustedProxy(t *testing.T) {
	f := newFixture(t)
	w := f.do(t, req{method: "POST", path: totpBase + "/challenge", token: adminToken,
		header: map[string]string{"X-Forwarded-For": "198.51.100.7"}})
	if w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	// The fixture's peer (192.0.2.10) is not a trusted proxy.
	if m := f.mfa.last(t).meta; m.RemoteAddr != "192.0.2.10" || m.Actor != "token:tok-root" || m.Via != "api" {
		t.Errorf("meta %+v", m)
	}
}

func TestCheckers(t *testing.T) {
	tests := []struct {
		name  string
		err   error
		valid bool
	}{
		{"code 6 digits", checkCode("123456"), true},
		{"code 64 chars", checkCode("0123456789012345678901234567890123456789012345678901234567890123"), true},
		{"code empty", checkCode(""), false},
		{"code tab", checkCode("12\t34"), false},
		{"code DEL", checkCode("12\x7f34"), false},
		{"id ok", checkID("credential", "0f8c-1a"), true},
		{"id space", checkID("credential", "a b"), false},
		{"id empty", checkID("credential", ""), false},
		{"name ok", checkUserName("a.b_c@d-e"), true},
		{"name empty", checkUserName(""), false},
		{"name slash", checkUserName("a/b"), false},
		{"email ok", checkEmail("a@example.com"), true},
		{"email display name", checkEmail("A <a@example.com>"), false},
		{"email none", checkEmail("example.com"), false},
		{"password ok", checkPassword("correct horse battery"), true},
		{"password unicode ok", checkPassword("pässwörd✓"), true},
		{"password short", checkPassword("1234567"), false},
		{"password control", checkPassword("12345678\x00"), false},
		{"params ok", checkParams(map[string]string{"phone": "+61412345678", "channel_2": "voice"}), true},
		{"params nil", checkParams(nil), true},
		{"params bad key", checkParams(map[string]string{"2fa": "x"}), false},
		{"params bad utf8", checkParams(map[string]string{"phone": "\xff"}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if (tt.err == nil) != tt.valid {
				t.Errorf("err = %v, valid = %v", tt.err, tt.valid)
			}
		})
	}
}
