package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/factorgate/factorgate/host/internal/testdb"
)

// The SMS log sender writes codes to the log, so the host allows it only
// under serve --demo or with allow_log_sender: a discovered SMS factor with
// no sender is left out with a warning while the others serve, and a
// configured one stops the start naming the setting.
func TestLogSenderOnlyUnderDemo(t *testing.T) {
	_, pluginDir := binaries(t)
	tests := []struct {
		name    string
		args    []string
		withSMS bool
		warns   bool
	}{
		{"discovered, no sender", nil, false, true},
		{"discovered, under --demo", []string{"--demo"}, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := newDeployment(t, testdb.Backends()[0].NewURL(t), "")
			token := d.user("alice")
			h := d.start(tc.args...)
			status, body, _ := call(t, "GET", h.base+"/v1/factors", token, nil)
			listed := fmt.Sprint(body)
			if status != 200 || !strings.Contains(listed, "totp") || strings.Contains(listed, "sms") != tc.withSMS {
				t.Fatalf("factors: %d %v; want totp, and sms: %v", status, listed, tc.withSMS)
			}
			warned := strings.Contains(d.logs.String(), "factor instance left out") && strings.Contains(d.logs.String(), "allow_log_sender")
			if warned != tc.warns {
				t.Fatalf("warned that sms was left out: %v, want %v\n%s", warned, tc.warns, d.logs.String())
			}
		})
	}

	sum := newDeployment(t, testdb.Backends()[0].NewURL(t), "").run("", "plugins", "hash", filepath.Join(pluginDir, "factorgate-factor-sms"))
	cfg := fmt.Sprintf("plugins:\n  sms: {path: %s, sha256: %q}\nfactors:\n  sms: {plugin: sms, settings: {sender: {type: log}}}\n",
		filepath.Join(pluginDir, "factorgate-factor-sms"), sum)
	d := newDeployment(t, testdb.Backends()[0].NewURL(t), cfg)
	cmd := exec.Command(hostBin, "serve")
	cmd.Env = d.env
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), `factors.sms.settings`) || !strings.Contains(string(out), `"allow_log_sender": true`) {
		t.Fatalf("serve with a configured log sender: %v\n%s", err, out)
	}
}
