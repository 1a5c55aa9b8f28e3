package mfa_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"testing"

	"github.com/factorgate/factorgate/factors/backupcodes"
	smsfactor "github.com/factorgate/factorgate/factors/sms"
	totpfactor "github.com/factorgate/factorgate/factors/totp"
	"github.com/factorgate/factorgate/host/internal/testdb"
	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/host/plugins"
	"github.com/factorgate/factorgate/host/store"
	"github.com/factorgate/factorgate/sdk"
)

// fixture is one host with every built-in factor (totp, sms sending through
// a test webhook, backup-codes), in process or as real plugin processes, on
// a fresh database. Every factor call passes through spy.
type fixture struct {
	*env
	st      *store.SQLStore
	svc     *mfa.Service
	factors mfa.Factors
	sms     *smsOutbox
	spy     *spy
}

// eachHost runs fn on every backend, with the factors in process and over
// plugin RPC.
func eachHost(t *testing.T, opts mfa.Options, fn func(t *testing.T, f *fixture)) {
	testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
		for _, viaPlugin := range []bool{false, true} {
			t.Run(map[bool]string{false: "in-process", true: "plugin-rpc"}[viaPlugin], func(t *testing.T) {
				fn(t, newFixture(t, newURL, viaPlugin, opts))
			})
		}
	})
}

func newFixture(t *testing.T, newURL func(testing.TB) string, viaPlugin bool, opts mfa.Options) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{env: newEnv(t, newURL), sms: newSMSOutbox(t), spy: &spy{calls: map[string]int{}, fail: map[string]error{}}}
	m := plugins.New(plugins.Options{DestinationKey: []byte("mfa test destination key, 32 by")})
	t.Cleanup(func() { m.Close() })
	smsSettings := json.RawMessage(fmt.Sprintf(`{"sender":{"type":"webhook","url":%q,"allow_insecure_http":true,"max_retries":0},"resend_interval":"10s"}`, f.sms.srv.URL))
	if viaPlugin {
		err := m.Load(ctx, []plugins.Binary{bins["totp"], bins["sms"], bins["backup-codes"]}, []plugins.InstanceConfig{
			{Name: "totp", Plugin: "totp"}, {Name: "sms", Plugin: "sms", Settings: smsSettings}, {Name: "backup-codes", Plugin: "backup-codes"},
		})
		if err != nil {
			t.Fatal(err)
		}
	} else {
		for name, factor := range map[string]sdk.Factor{
			"totp":         totpfactor.New(),
			"sms":          smsfactor.New(smsfactor.WithLogger(slog.New(slog.DiscardHandler))),
			"backup-codes": backupcodes.New(backupcodes.WithHashMemory(1024)),
		} {
			var settings json.RawMessage
			if name == "sms" {
				settings = smsSettings
			}
			if err := m.AddInProcess(ctx, name, factor, settings); err != nil {
				t.Fatal(err)
			}
		}
	}
	f.st = f.openStore()
	f.factors = mfa.FactorsFunc(func(name string) (mfa.Factor, bool) {
		in, ok := m.Instance(name)
		if !ok {
			return nil, false
		}
		return spyFactor{Factor: in, name: name, spy: f.spy}, true
	})
	opts.Now = f.clock.Now
	f.svc = mfa.New(f.st, f.factors, f.sealer, opts)
	return f
}

// enrollTOTP enrolls the fixture's user in TOTP and returns the secret.
func (f *fixture) enrollTOTP() string {
	f.t.Helper()
	ctx := f.t.Context()
	en, err := f.svc.BeginEnrollment(ctx, meta, mfa.BeginRequest{UserID: f.user.ID, Factor: "totp"})
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.svc.ConfirmEnrollment(ctx, meta, mfa.ConfirmRequest{UserID: f.user.ID, EnrollmentID: en.ID, Proof: sdk.Proof{Code: code(f.t, en.Display.Secret, f.clock.Now())}}); err != nil {
		f.t.Fatal(err)
	}
	return en.Display.Secret
}

// enrollSMS enrolls the fixture's user in SMS with the code it was sent.
func (f *fixture) enrollSMS() (mfa.Enrollment, mfa.Confirmed) {
	f.t.Helper()
	ctx := f.t.Context()
	en, err := f.svc.BeginEnrollment(ctx, meta, mfa.BeginRequest{UserID: f.user.ID, Factor: "sms", Params: map[string]string{"phone": "+61412345678"}})
	if err != nil {
		f.t.Fatal(err)
	}
	conf, err := f.svc.ConfirmEnrollment(ctx, meta, mfa.ConfirmRequest{UserID: f.user.ID, EnrollmentID: en.ID, Proof: sdk.Proof{Code: f.sms.lastCode(f.t)}})
	if err != nil {
		f.t.Fatal(err)
	}
	return en, conf
}

// auditByID returns the audit log of the fixture's user by event id.
func (f *fixture) auditByID() map[int64]store.AuditEvent {
	f.t.Helper()
	events, err := f.st.ListAudit(f.t.Context(), f.user.ID, 1000)
	if err != nil {
		f.t.Fatal(err)
	}
	out := map[int64]store.AuditEvent{}
	for _, e := range events {
		out[e.ID] = e
	}
	return out
}

// smsOutbox receives the messages the SMS factor's webhook sender posts.
type smsOutbox struct {
	srv  *httptest.Server
	mu   sync.Mutex
	sent []string
}

func newSMSOutbox(t *testing.T) *smsOutbox {
	o := &smsOutbox{}
	o.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var msg struct{ Body string }
		if err := json.NewDecoder(r.Body).Decode(&msg); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		o.mu.Lock()
		o.sent = append(o.sent, msg.Body)
		o.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(o.srv.Close)
	return o
}

var trailingCode = regexp.MustCompile(`(\d+)\s*$`)

// lastCode returns the code of the newest message.
func (o *smsOutbox) lastCode(t *testing.T) string {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.sent) == 0 {
		t.Fatal("no SMS was sent")
	}
	m := trailingCode.FindStringSubmatch(o.sent[len(o.sent)-1])
	if m == nil {
		t.Fatalf("no code in %q", o.sent[len(o.sent)-1])
	}
	return m[1]
}

// spy counts the calls that reach each factor, by "factor.Method", and makes
// the calls named in fail return that error instead of reaching the factor.
type spy struct {
	mu    sync.Mutex
	calls map[string]int
	fail  map[string]error
}

func (s *spy) call(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[name]++
	return s.fail[name]
}

func (s *spy) failWith(name string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail[name] = err
}

func (s *spy) total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		n += c
	}
	return n
}

type spyFactor struct {
	mfa.Factor
	name string
	spy  *spy
}

func (f spyFactor) BeginEnrollment(ctx context.Context, req sdk.BeginEnrollmentRequest) (sdk.BeginEnrollmentResponse, error) {
	if err := f.spy.call(f.name + ".BeginEnrollment"); err != nil {
		return sdk.BeginEnrollmentResponse{}, err
	}
	return f.Factor.BeginEnrollment(ctx, req)
}

func (f spyFactor) FinishEnrollment(ctx context.Context, req sdk.FinishEnrollmentRequest) (sdk.FinishEnrollmentResponse, error) {
	if err := f.spy.call(f.name + ".FinishEnrollment"); err != nil {
		return sdk.FinishEnrollmentResponse{}, err
	}
	return f.Factor.FinishEnrollment(ctx, req)
}

func (f spyFactor) Challenge(ctx context.Context, req sdk.ChallengeRequest) (sdk.ChallengeResponse, error) {
	if err := f.spy.call(f.name + ".Challenge"); err != nil {
		return sdk.ChallengeResponse{}, err
	}
	return f.Factor.Challenge(ctx, req)
}

func (f spyFactor) Verify(ctx context.Context, req sdk.VerifyRequest) (sdk.VerifyResponse, error) {
	if err := f.spy.call(f.name + ".Verify"); err != nil {
		return sdk.VerifyResponse{}, err
	}
	return f.Factor.Verify(ctx, req)
}
