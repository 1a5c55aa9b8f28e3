package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/factorgate/factorgate/host/internal/testdb"
	"github.com/factorgate/factorgate/host/internal/testplugins"
	"github.com/factorgate/factorgate/host/seal"
	"github.com/factorgate/factorgate/host/store"
	"github.com/factorgate/factorgate/sdk"
)

// These tests run the real factorgate binary with its real plugin processes
// and talk to it over real HTTP, on SQLite and on PostgreSQL.

var (
	buildOnce           sync.Once
	hostBin, pluginsDir string
	buildErr            error
)

func binaries(t *testing.T) (string, string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "factorgate-e2e-")
		if err != nil {
			buildErr = err
			return
		}
		root, err := testplugins.ModuleRoot()
		if err != nil {
			buildErr = err
			return
		}
		hostBin = filepath.Join(dir, "factorgate")
		cmd := exec.Command("go", "build", "-o", hostBin, "./host")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("build host: %v: %s", err, out)
			return
		}
		pluginsDir = filepath.Join(dir, "plugins")
		_, buildErr = testplugins.Build(pluginsDir)
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return hostBin, pluginsDir
}

// syncBuffer collects a process's output for the log checks.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	// wrote is closed, and replaced, at every write.
	wrote chan struct{}
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.wrote != nil {
		close(b.wrote)
		b.wrote = nil
	}
	return b.buf.Write(p)
}

// waitFor waits until the output contains s, at most timeout.
func (b *syncBuffer) waitFor(s string, timeout time.Duration) bool {
	deadline := time.After(timeout)
	for {
		b.mu.Lock()
		if strings.Contains(b.buf.String(), s) {
			b.mu.Unlock()
			return true
		}
		if b.wrote == nil {
			b.wrote = make(chan struct{})
		}
		wrote := b.wrote
		b.mu.Unlock()
		select {
		case <-wrote:
		case <-deadline:
			return false
		}
	}
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// deployment is one database and the settings every host process on it shares.
type deployment struct {
	t    *testing.T
	env  []string
	logs *syncBuffer // everything every process printed
	keys string
	url  string
}

func newDeployment(t *testing.T, databaseURL string, configYAML string) *deployment {
	bin, plugins := binaries(t)
	_ = bin
	key, err := seal.GenerateKey("e2e", nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	d := &deployment{t: t, logs: &syncBuffer{}, keys: seal.FormatKeys(key), url: databaseURL}
	d.env = append(os.Environ(),
		"FACTORGATE_DATABASE_URL="+databaseURL,
		"FACTORGATE_DATA_DIR="+dir,
		"FACTORGATE_PLUGIN_DIR="+plugins,
		"FACTORGATE_SEAL_KEYS="+d.keys,
		"FACTORGATE_LISTEN=127.0.0.1:0",
		"FACTORGATE_LOG_LEVEL=debug",
		"FACTORGATE_LOG_FORMAT=json",
	)
	if configYAML != "" {
		path := filepath.Join(dir, "factorgate.yaml")
		if err := os.WriteFile(path, []byte(configYAML), 0o600); err != nil {
			t.Fatal(err)
		}
		d.env = append(d.env, "FACTORGATE_CONFIG="+path)
	}
	return d
}

// run runs an administration command and returns its standard output.
func (d *deployment) run(stdin string, args ...string) string {
	d.t.Helper()
	cmd := exec.Command(hostBin, args...)
	cmd.Env = d.env
	cmd.Stdin = strings.NewReader(stdin)
	var stdout bytes.Buffer
	cmd.Stdout = io.MultiWriter(&stdout, d.logs)
	cmd.Stderr = d.logs
	if err := cmd.Run(); err != nil {
		d.t.Fatalf("factorgate %v: %v\n%s", args, err, d.logs.String())
	}
	return strings.TrimSpace(stdout.String())
}

// user creates a user with an API token and returns the token.
func (d *deployment) user(name string) string {
	d.run("", "users", "create", name)
	return d.run("", "tokens", "create", name)
}

type hostProcess struct {
	base string
	cmd  *exec.Cmd
	done chan struct{}
}

var listening = regexp.MustCompile(`listening on (https?://\S+)`)

// start runs `factorgate serve` with args and waits until it listens.
func (d *deployment) start(args ...string) *hostProcess {
	d.t.Helper()
	cmd := exec.Command(hostBin, append([]string{"serve"}, args...)...)
	cmd.Env = d.env
	cmd.Stderr = d.logs
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		d.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		d.t.Fatal(err)
	}
	h := &hostProcess{cmd: cmd, done: make(chan struct{})}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			d.logs.Write([]byte(line + "\n"))
			if m := listening.FindStringSubmatch(line); m != nil {
				found <- m[1]
			}
		}
	}()
	go func() { cmd.Wait(); close(h.done) }()
	d.t.Cleanup(func() { h.stop(syscall.SIGTERM) })
	select {
	case h.base = <-found:
	case <-h.done:
		d.t.Fatalf("server exited at start:\n%s", d.logs.String())
	case <-time.After(30 * time.Second):
		d.t.Fatalf("server did not start:\n%s", d.logs.String())
	}
	return h
}

func (h *hostProcess) stop(sig syscall.Signal) {
	select {
	case <-h.done:
		return
	default:
	}
	h.cmd.Process.Signal(sig)
	select {
	case <-h.done:
	case <-time.After(20 * time.Second):
		h.cmd.Process.Kill()
		<-h.done
	}
}

// call sends a JSON request with the token and decodes the JSON answer.
func call(t testing.TB, method, url, token string, body any) (int, map[string]any, http.Header) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: %d %q: %v", method, url, resp.StatusCode, raw, err)
		}
	}
	return resp.StatusCode, out, resp.Header
}

func totpCode(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enroll enrolls TOTP through the API and returns the secret and the codes it used.
func enroll(t testing.TB, base, token string) (secret string, used []string) {
	t.Helper()
	status, body, _ := call(t, "POST", base+"/v1/users/me/factors/totp/enrollments", token, map[string]any{})
	if status != http.StatusCreated {
		t.Fatalf("enroll: %d %v", status, body)
	}
	display := body["display"].(map[string]any)
	secret = display["secret"].(string)
	if !strings.HasPrefix(display["otpauth_uri"].(string), "otpauth://totp/") {
		t.Fatalf("display: %v", display)
	}
	code := totpCode(t, secret, time.Now())
	status, body, _ = call(t, "POST", fmt.Sprintf("%s/v1/users/me/factors/totp/enrollments/%s/confirm", base, body["id"]), token, map[string]any{"code": code})
	if status != http.StatusOK {
		t.Fatalf("confirm: %d %v", status, body)
	}
	return secret, []string{code}
}

func TestEndToEnd(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
		d := newDeployment(t, newURL(t), "lockout: {max_failures: 3, base_delay: 1m, max_delay: 1h}\n")
		token := d.user("alice")
		h := d.start()

		status, body, _ := call(t, "GET", h.base+"/v1/factors", token, nil)
		if status != 200 || !strings.Contains(fmt.Sprint(body), "totp") {
			t.Fatalf("factors: %d %v", status, body)
		}
		secret, used := enroll(t, h.base, token)

		// The next step's code is within the skew and newer than the one that
		// confirmed the enrollment: accepted once, then replayed.
		next := totpCode(t, secret, time.Now().Add(30*time.Second))
		used = append(used, next)
		if status, body, _ := call(t, "POST", h.base+"/v1/users/me/factors/totp/verify", token, map[string]string{"code": next}); status != 200 || body["result"] != "ok" {
			t.Fatalf("verify: %d %v", status, body)
		}
		status, body, _ = call(t, "POST", h.base+"/v1/users/me/factors/totp/verify", token, map[string]string{"code": next})
		if status != 422 || !strings.HasSuffix(body["type"].(string), "/replayed") {
			t.Fatalf("replay: %d %v", status, body)
		}
		// Three wrong codes lock the user's second factors; the right code is then refused too.
		wrong := fmt.Sprintf("%06d", (mustAtoi(t, totpCode(t, secret, time.Now()))+500000)%1000000)
		for range 2 {
			if status, body, _ := call(t, "POST", h.base+"/v1/users/me/factors/totp/verify", token, map[string]string{"code": wrong}); status != 422 {
				t.Fatalf("wrong code: %d %v", status, body)
			}
		}
		status, body, hdr := call(t, "POST", h.base+"/v1/users/me/factors/totp/verify", token, map[string]string{"code": wrong})
		if status != 429 || hdr.Get("Retry-After") == "" {
			t.Fatalf("locked: %d %v %v", status, body, hdr)
		}
		right := totpCode(t, secret, time.Now().Add(60*time.Second))
		if status, _, _ := call(t, "POST", h.base+"/v1/users/me/factors/totp/verify", token, map[string]string{"code": right}); status != 429 {
			t.Fatalf("right code while locked: %d", status)
		}

		// The lock is in the database: a restarted host still refuses.
		h.stop(syscall.SIGTERM)
		h = d.start()
		if status, _, _ := call(t, "POST", h.base+"/v1/users/me/factors/totp/verify", token, map[string]string{"code": right}); status != 429 {
			t.Fatalf("after restart while locked: %d", status)
		}
		status, body, _ = call(t, "GET", h.base+"/v1/users/me/factors", token, nil)
		if status != 200 || len(body["factors"].([]any)) != 1 {
			t.Fatalf("list: %d %v", status, body)
		}
		if status, _, _ := call(t, "GET", h.base+"/readyz", token, nil); status != 200 {
			t.Fatalf("readyz: %d", status)
		}
		h.stop(syscall.SIGTERM)
		assertNoSecretsInLogs(t, d.logs.String(), append(used, secret, token, wrong, right)...)
	})
}

func mustAtoi(t testing.TB, s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// One valid code submitted 100 times at once, alternately to two host
// processes on one database, is accepted exactly once.
func TestSameCodeOnceAcrossTwoHosts(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
		d := newDeployment(t, newURL(t), "lockout: {max_failures: 1000, base_delay: 1m, max_delay: 1h}\n")
		token := d.user("bob")
		hosts := []*hostProcess{d.start(), d.start()}
		secret, _ := enroll(t, hosts[0].base, token)
		code := totpCode(t, secret, time.Now().Add(30*time.Second))
		var ok, replayed atomic.Int64
		var wg sync.WaitGroup
		for i := range 100 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				status, body, _ := call(t, "POST", hosts[i%2].base+"/v1/users/me/factors/totp/verify", token, map[string]string{"code": code})
				switch {
				case status == 200:
					ok.Add(1)
				case status == 422 && strings.HasSuffix(fmt.Sprint(body["type"]), "/replayed"):
					replayed.Add(1)
				default:
					t.Errorf("unexpected %d %v", status, body)
				}
			}()
		}
		wg.Wait()
		if ok.Load() != 1 || replayed.Load() != 99 {
			t.Fatalf("accepted %d, replayed %d: want exactly one acceptance", ok.Load(), replayed.Load())
		}
	})
}

// SIGKILL in the middle of a burst of enrollments leaves every credential
// committed whole (its sealed state opens and is a valid TOTP state) or absent.
func TestKillDuringEnrollmentsLeavesNoHalfWrittenCredential(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
		d := newDeployment(t, newURL(t), "")
		const users = 12
		tokens := make([]string, users)
		for i := range tokens {
			tokens[i] = d.user(fmt.Sprintf("burst-%d", i))
		}
		h := d.start()
		var started atomic.Int64
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for _, token := range tokens {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					started.Add(1)
					req, _ := http.NewRequest("POST", h.base+"/v1/users/me/factors/totp/enrollments", strings.NewReader("{}"))
					req.Header.Set("Authorization", "Bearer "+token)
					req.Header.Set("Content-Type", "application/json")
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						return // the server is gone
					}
					var body struct {
						ID      string            `json:"id"`
						Display map[string]string `json:"display"`
					}
					json.NewDecoder(resp.Body).Decode(&body)
					resp.Body.Close()
					if body.ID == "" {
						continue
					}
					code := totpCode(t, body.Display["secret"], time.Now())
					b, _ := json.Marshal(map[string]string{"code": code})
					req, _ = http.NewRequest("POST", h.base+"/v1/users/me/factors/totp/enrollments/"+body.ID+"/confirm", bytes.NewReader(b))
					req.Header.Set("Authorization", "Bearer "+token)
					req.Header.Set("Content-Type", "application/json")
					if resp, err := http.DefaultClient.Do(req); err == nil {
						resp.Body.Close()
					} else {
						return
					}
					// Remove what was confirmed so the next round enrolls again.
					req, _ = http.NewRequest("GET", h.base+"/v1/users/me/factors", nil)
					req.Header.Set("Authorization", "Bearer "+token)
					resp, err = http.DefaultClient.Do(req)
					if err != nil {
						return
					}
					var list struct {
						Factors []struct{ ID, Status string } `json:"factors"`
					}
					json.NewDecoder(resp.Body).Decode(&list)
					resp.Body.Close()
					for _, f := range list.Factors {
						if f.Status == "active" {
							req, _ = http.NewRequest("DELETE", h.base+"/v1/users/me/factors/"+f.ID, nil)
							req.Header.Set("Authorization", "Bearer "+token)
							if resp, err := http.DefaultClient.Do(req); err == nil {
								resp.Body.Close()
							}
						}
					}
				}
			}()
		}
		// Kill once the burst is well under way (waiting for work, not timing it).
		deadline := time.Now().Add(30 * time.Second)
		for started.Load() < 60 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		h.stop(syscall.SIGKILL)
		close(stop)
		wg.Wait()

		sealer, err := seal.ParseKeys(d.keys)
		if err != nil {
			t.Fatal(err)
		}
		st, err := store.Open(context.Background(), d.url, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		checked := 0
		after := ""
		for {
			page, err := st.ListCredentialsPage(context.Background(), after, 100)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			for _, c := range page {
				plain, err := sealer.Open(c.State, seal.AAD("credential", c.ID, c.UserID))
				if err != nil {
					t.Fatalf("credential %s (%s) does not open: %v", c.ID, c.Status, err)
				}
				var state struct {
					Secret []byte `json:"secret"`
				}
				kind, _, payload, err := sdk.OpenState(plain)
				if err == nil {
					err = json.Unmarshal(payload, &state)
				}
				if err != nil || len(state.Secret) != 20 {
					t.Fatalf("credential %s holds a broken state: %v", c.ID, err)
				}
				want := map[store.CredentialStatus]string{store.CredentialPending: "totp-pending", store.CredentialActive: "totp-credential"}[c.Status]
				if kind != want {
					t.Fatalf("credential %s is %s but holds a %s state", c.ID, c.Status, kind)
				}
				checked++
			}
			after = page[len(page)-1].ID
		}
		t.Logf("%d enrollment requests started before SIGKILL; %d credentials checked whole", started.Load(), checked)
		// The host starts again on what the crash left.
		h = d.start()
		if status, _, _ := call(t, "GET", h.base+"/v1/users/me/factors", tokens[0], nil); status != 200 {
			t.Fatalf("after restart: %d", status)
		}
	})
}

// assertNoSecretsInLogs fails if any secret value appears in what the
// processes printed, apart from the administration commands' own output of
// the tokens they create.
func assertNoSecretsInLogs(t *testing.T, logs string, secrets ...string) {
	t.Helper()
	for _, line := range strings.Split(logs, "\n") {
		if strings.HasPrefix(line, "fgp_") { // `tokens create` prints the new token on stdout, by design
			continue
		}
		for _, s := range secrets {
			if s != "" && strings.Contains(line, s) {
				t.Fatalf("a secret or code appears in the logs: %q", line)
			}
		}
	}
}

// `factorgate keys rotate` re-seals every credential under the new active key,
// after which the old key can be dropped and every credential still verifies.
func TestKeyRotationThroughTheCLI(t *testing.T) {
	d := newDeployment(t, testdb.Backends()[0].NewURL(t), "")
	token := d.user("carol")
	h := d.start()
	secret, _ := enroll(t, h.base, token)
	h.stop(syscall.SIGTERM)

	newKey, err := seal.GenerateKey("e2e-2", nil)
	if err != nil {
		t.Fatal(err)
	}
	setEnv := func(keys string) {
		for i, kv := range d.env {
			if strings.HasPrefix(kv, "FACTORGATE_SEAL_KEYS=") {
				d.env[i] = "FACTORGATE_SEAL_KEYS=" + keys
			}
		}
	}
	setEnv(seal.FormatKeys(newKey) + "," + d.keys)
	out := d.run("", "keys", "rotate", "--batch", "1")
	if !strings.Contains(out, "re-sealed 1") || !strings.Contains(out, `"e2e-2"`) {
		t.Fatalf("keys rotate said: %s", out)
	}
	setEnv(seal.FormatKeys(newKey))
	h = d.start()
	code := totpCode(t, secret, time.Now().Add(30*time.Second))
	if status, body, _ := call(t, "POST", h.base+"/v1/users/me/factors/totp/verify", token, map[string]string{"code": code}); status != 200 {
		t.Fatalf("verify with only the new key: %d %v", status, body)
	}
	if out := d.run("", "keys", "rotate"); !strings.Contains(out, "re-sealed 0") {
		t.Fatalf("second rotation should find nothing to do: %s", out)
	}
}

func TestPluginsCommands(t *testing.T) {
	_, plugins := binaries(t)
	d := newDeployment(t, testdb.Backends()[0].NewURL(t), "")
	sum := d.run("", "plugins", "hash", filepath.Join(plugins, "factorgate-factor-totp"))
	if len(sum) != 64 {
		t.Fatalf("plugins hash: %q", sum)
	}
	list := d.run("", "plugins", "list")
	if !strings.Contains(list, "totp") || !strings.Contains(list, sum) || !strings.Contains(list, "unpinned") {
		t.Fatalf("plugins list:\n%s", list)
	}
	// A pinned plugin whose binary changed is refused at start, naming both hashes.
	wrong := strings.Repeat("0", 64)
	cfg := fmt.Sprintf("plugins:\n  totp: {path: %s, sha256: %q}\nfactors:\n  totp: {plugin: totp}\n", filepath.Join(plugins, "factorgate-factor-totp"), wrong)
	pinned := newDeployment(t, testdb.Backends()[0].NewURL(t), cfg)
	if list := pinned.run("", "plugins", "list"); !strings.Contains(list, "MISMATCH") {
		t.Fatalf("plugins list with a wrong pin:\n%s", list)
	}
	cmd := exec.Command(hostBin, "serve")
	cmd.Env = pinned.env
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), sum) || !strings.Contains(string(out), wrong) {
		t.Fatalf("serve with a wrong pin: %v\n%s", err, out)
	}
}

func TestUsersCreateScriptsWell(t *testing.T) {
	d := newDeployment(t, testdb.Backends()[0].NewURL(t), "")
	id := d.run("correct horse battery\n", "users", "create", "dave", "--password-stdin", "--email", "dave@example.com")
	if !regexp.MustCompile(`^[0-9a-f-]{36}$`).MatchString(id) {
		t.Fatalf("users create printed %q, want only the id", id)
	}
	token := d.run("", "tokens", "create", "dave")
	if !strings.HasPrefix(token, "fgp_") || strings.ContainsAny(token, " \n") {
		t.Fatalf("tokens create printed %q, want only the token", token)
	}
	for _, args := range [][]string{
		{"users", "create", "bad name"},
		{"users", "create", "erin", "--phone", "+61412345678"}, // a user's number is not kept
		{"tokens", "create", "nobody"},
	} {
		cmd := exec.Command(hostBin, args...)
		cmd.Env = d.env
		if out, err := cmd.CombinedOutput(); err == nil {
			t.Errorf("%v succeeded: %s", args, out)
		}
	}
}
