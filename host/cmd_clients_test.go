package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/factorgate/factorgate/host/config"
	"github.com/factorgate/factorgate/host/oauth"
	"github.com/factorgate/factorgate/host/seal"
	"github.com/factorgate/factorgate/host/store"
)

// runClients runs `factorgate clients ARGS...` against the data directory of
// env, with its own output buffers.
func runClients(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	c := &cli{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, env: func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}}
	cmd := c.clientsCommand()
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err = cmd.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

// field returns the value of a "name: value" line of out.
func field(out, name string) string {
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, name+": "); ok {
			return v
		}
	}
	return ""
}

func TestClientsCommand(t *testing.T) {
	key, err := seal.GenerateKey("k1", nil)
	if err != nil {
		t.Fatal(err)
	}
	dataDir := t.TempDir()
	env := map[string]string{config.EnvDataDir: dataDir, config.EnvSealKeys: seal.FormatKeys(key), config.EnvLogLevel: "error"}
	openStore := func() *store.SQLStore {
		t.Helper()
		st, err := store.Open(context.Background(), filepath.Join(dataDir, "factorgate.db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}

	out, stderr, err := runClients(t, env, "create", "Web shop", "--id", "web", "--redirect-uri", "https://shop.example/callback,http://127.0.0.1/cb",
		"--require-mfa", "--jwt-access-tokens", "--post-logout-redirect-uri", "https://shop.example/signed-out")
	if err != nil {
		t.Fatal(err)
	}
	secret := field(out, "client_secret")
	if field(out, "client_id") != "web" || !strings.HasPrefix(secret, oauth.ClientSecretPrefix) || !strings.Contains(stderr, "shown only this once") {
		t.Fatalf("create printed %q / %q", out, stderr)
	}
	cl, err := openStore().GetOAuthClient(context.Background(), "web")
	if err != nil {
		t.Fatal(err)
	}
	if bcrypt.CompareHashAndPassword(cl.SecretHash, []byte(secret)) != nil || strings.Contains(string(cl.SecretHash), secret) ||
		!cl.RequireMFA || !cl.JWTAccessTokens || cl.FirstParty || cl.Public || cl.Name != "Web shop" || cl.IDTokenSignedResponseAlg != "" ||
		len(cl.RedirectURIs) != 2 || strings.Join(cl.PostLogoutRedirectURIs, " ") != "https://shop.example/signed-out" ||
		strings.Join(cl.ResponseTypes, " ") != "code" || strings.Join(cl.GrantTypes, " ") != "authorization_code refresh_token" {
		t.Fatalf("stored client %+v", cl)
	}

	out, _, err = runClients(t, env, "create", "Mobile", "--public", "--first-party", "--redirect-uri", "com.example.app:/oauth",
		"--id-token-signed-response-alg", "ES256")
	if err != nil {
		t.Fatal(err)
	}
	mobile := field(out, "client_id")
	if mobile == "" || field(out, "client_secret") != "" {
		t.Fatalf("public client create printed %q", out)
	}
	if cl, err := openStore().GetOAuthClient(context.Background(), mobile); err != nil || cl.IDTokenSignedResponseAlg != "ES256" {
		t.Fatalf("stored client %+v, %v; want id_token_signed_response_alg ES256", cl, err)
	}

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"duplicate id", []string{"create", "Again", "--id", "web", "--redirect-uri", "https://x.example/cb"}, "exists already"},
		{"no redirect uri", []string{"create", "NoRedirect"}, "redirect-uri"},
		{"http redirect", []string{"create", "Plain", "--redirect-uri", "http://shop.example/cb"}, "loopback"},
		{"fragment", []string{"create", "Frag", "--redirect-uri", "https://shop.example/cb#x"}, "fragment"},
		{"http post-logout redirect", []string{"create", "Out", "--redirect-uri", "https://x.example/cb", "--post-logout-redirect-uri", "http://x.example/out"}, "post-logout-redirect-uri"},
		{"unknown grant", []string{"create", "Implicit", "--grant-type", "implicit", "--redirect-uri", "https://x.example/cb"}, "implicit"},
		{"public client credentials", []string{"create", "Svc", "--public", "--grant-type", "client_credentials"}, "public client"},
		{"bad id", []string{"create", "Bad", "--id", "a b", "--redirect-uri", "https://x.example/cb"}, "client id"},
		{"unknown ID token algorithm", []string{"create", "HS", "--redirect-uri", "https://x.example/cb", "--id-token-signed-response-alg", "HS256"}, `"HS256": use RS256 or ES256`},
		{"lower-case ID token algorithm", []string{"create", "Lower", "--redirect-uri", "https://x.example/cb", "--id-token-signed-response-alg", "es256"}, "id-token-signed-response-alg"},
		{"delete unknown", []string{"delete", "nobody"}, "no client"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := runClients(t, env, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want one mentioning %q", err, tc.want)
			}
		})
	}

	out, _, err = runClients(t, env, "list")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "web") || !strings.Contains(out, "require-mfa,jwt-access-tokens") || !strings.Contains(out, mobile) ||
		!strings.Contains(out, "first-party,id-token-alg=ES256") || strings.Contains(out, secret) {
		t.Fatalf("list printed %q", out)
	}

	out, _, err = runClients(t, env, "rotate-keys")
	if err != nil || !strings.Contains(out, "new signing keys: ") {
		t.Fatalf("rotate-keys: %q, %v", out, err)
	}
	keys, err := openStore().ListOAuthKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	retired := 0
	for _, k := range keys {
		if !k.Active() {
			retired++
		}
	}
	if retired != 2 {
		t.Fatalf("%d keys retired by the rotation, want 2 (RS256 and ES256)", retired)
	}

	if out, _, err = runClients(t, env, "delete", "web"); err != nil || !strings.Contains(out, "deleted client web") {
		t.Fatalf("delete: %q, %v", out, err)
	}
	if out, _, err = runClients(t, env, "list"); err != nil || strings.Contains(out, "Web shop") {
		t.Fatalf("list after delete: %q, %v", out, err)
	}
}
