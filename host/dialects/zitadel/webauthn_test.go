package zitadel

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/factorgate/factorgate/factors/webauthn/softkey"
	"github.com/factorgate/factorgate/host/dialects/zitadelpb"
	"github.com/factorgate/factorgate/host/dialects/zitadelpb/zitadelpbconnect"
	"github.com/factorgate/factorgate/host/plugins"
)

const (
	zitadelKeyOrigin       = "https://login.example.com"
	zitadelPasskeySettings = `{"rp_id":"example.com","origins":["https://login.example.com"],"resident_key":"required","user_verification":"required"}`
	zitadelU2FSettings     = `{"rp_id":"example.com","origins":["https://login.example.com"],"resident_key":"discouraged","user_verification":"discouraged"}`
)

// testZitadelKeys registers a passkey over REST and a U2F token over
// Connect, answering the creation options with a software authenticator,
// and checks the refusals of the dialect's own.
func testZitadelKeys(t *testing.T, bins map[string]plugins.Binary) {
	e := newZitadelEnv(t, bins, filepath.Join(t.TempDir(), "keys.db"), 0)
	u := e.user(t, "kim", false)

	resp := e.do(t, "POST", "/v2/users/"+u.id+"/passkeys", u.token, `{"authenticator":"PASSKEY_AUTHENTICATOR_PLATFORM","domain":"example.com"}`)
	var reg struct {
		PasskeyID string `json:"passkeyId"`
		Options   struct {
			PublicKey json.RawMessage `json:"publicKey"`
		} `json:"publicKeyCredentialCreationOptions"`
	}
	if err := json.Unmarshal(resp.body, &reg); err != nil || resp.status != http.StatusOK || reg.PasskeyID == "" {
		t.Fatalf("RegisterPasskey: %d %s", resp.status, resp.body)
	}
	var opts struct {
		AuthenticatorSelection struct{ ResidentKey, UserVerification, AuthenticatorAttachment string }
	}
	if err := json.Unmarshal(reg.Options.PublicKey, &opts); err != nil || opts.AuthenticatorSelection.ResidentKey != "required" ||
		opts.AuthenticatorSelection.UserVerification != "required" || opts.AuthenticatorSelection.AuthenticatorAttachment != "platform" {
		t.Fatalf("passkey creation options: %s", reg.Options.PublicKey)
	}
	phone := &softkey.Authenticator{Seed: []byte("kim's phone")}
	cred, err := phone.Create(reg.Options.PublicKey, softkey.Ceremony{Origin: zitadelKeyOrigin})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"publicKeyCredential": json.RawMessage(cred), "passkeyName": "Kim's phone"})
	resp = e.do(t, "POST", "/v2/users/"+u.id+"/passkeys/"+reg.PasskeyID, u.token, string(body))
	if resp.status != http.StatusOK || !json.Valid(resp.body) {
		t.Fatalf("VerifyPasskeyRegistration: %d %s", resp.status, resp.body)
	}
	c, err := e.st.GetCredential(context.Background(), reg.PasskeyID)
	if err != nil || c.Name != "Kim's phone" || c.Key == "" || c.Status != "active" {
		t.Fatalf("the verified passkey: %+v, %v", c, err)
	}

	tests := []struct {
		name, path, body string
		status           int
	}{
		{"a registration code", "/passkeys", `{"code":{"id":"x","code":"y"}}`, http.StatusNotImplemented},
		{"another domain", "/passkeys", `{"domain":"example.org"}`, http.StatusBadRequest},
		{"no credential", "/passkeys/" + reg.PasskeyID, `{"passkeyName":"x"}`, http.StatusBadRequest},
		{"no name", "/u2f/" + reg.PasskeyID, `{"publicKeyCredential":{"id":"x"}}`, http.StatusBadRequest},
	}
	for _, tc := range tests {
		if got := e.do(t, "POST", "/v2/users/"+u.id+tc.path, u.token, tc.body); got.status != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.name, got.status, got.body, tc.status)
		}
	}

	client := zitadelpbconnect.NewUserServiceClient(e.srv.Client(), e.srv.URL)
	u2f, err := client.RegisterU2F(t.Context(), zitadelAuthed(connect.NewRequest(&zitadelpb.RegisterU2FRequest{UserId: u.id}), u))
	if err != nil {
		t.Fatalf("RegisterU2F: %v", err)
	}
	options, err := json.Marshal(u2f.Msg.GetPublicKeyCredentialCreationOptions().GetFields()["publicKey"])
	if err != nil {
		t.Fatal(err)
	}
	token := &softkey.Authenticator{Seed: []byte("kim's key")}
	cred, err = token.Create(options, softkey.Ceremony{Origin: zitadelKeyOrigin})
	if err != nil {
		t.Fatal(err)
	}
	credential := &structpb.Struct{}
	if err := credential.UnmarshalJSON(cred); err != nil {
		t.Fatal(err)
	}
	_, err = client.VerifyU2FRegistration(t.Context(), zitadelAuthed(connect.NewRequest(&zitadelpb.VerifyU2FRegistrationRequest{
		UserId: u.id, U2FId: u2f.Msg.GetU2FId(), PublicKeyCredential: credential, TokenName: "Kim's key"}), u))
	if err != nil {
		t.Fatalf("VerifyU2FRegistration: %v", err)
	}
	creds, err := e.st.ListActiveCredentials(context.Background(), u.id, "webauthn")
	if err != nil || len(creds) != 1 || creds[0].Name != "Kim's key" {
		t.Fatalf("the verified U2F token: %+v, %v", creds, err)
	}
}
