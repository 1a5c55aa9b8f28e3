package chaos

import (
	"math/rand/v2"
	"net/url"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/factorgate/factorgate/host/internal/testdb"
)

// cutLength is how long the PostgreSQL phase keeps the database away.
const cutLength = 3 * time.Second

// recoveryWindow is how long the load goes on after the faults stop, to see
// the host recover.
const recoveryWindow = 5 * time.Second

func TestChaos(t *testing.T) {
	d := phaseDuration(t)
	b := buildAll(t)
	t.Run("plugin processes killed under load on SQLite", func(t *testing.T) {
		h := startHost(t, b, "")
		admin, accounts := setUp(t, h)
		killedEverySecond(t, h, admin, accounts, d)
		killedFasterThanTheyStart(t, h, admin, accounts, d)
		lost, twice := checkNothingLost(t, h, admin, accounts)
		t.Logf("credentials: %d users, %d lost, %d acknowledged verifications applied twice", len(accounts), lost, twice)
	})
	t.Run("host SIGKILLed under load on SQLite", func(t *testing.T) {
		h := startHost(t, b, "")
		admin, accounts := setUp(t, h)
		hostKilled(t, h, admin, accounts)
		lost, twice := checkNothingLost(t, h, admin, accounts)
		t.Logf("credentials: %d users, %d lost, %d acknowledged verifications applied twice", len(accounts), lost, twice)
	})
	t.Run("PostgreSQL connection cut under load", func(t *testing.T) {
		dsn := os.Getenv(testdb.PostgresDSNEnv)
		if dsn == "" {
			t.Skipf("set %s to run the PostgreSQL phase", testdb.PostgresDSNEnv)
		}
		u, err := url.Parse(testdb.NewPostgresSchema(t, dsn))
		if err != nil {
			t.Fatal(err)
		}
		p := startProxy(t, u.Host)
		u.Host = p.addr()
		h := startHost(t, b, u.String())
		admin, accounts := setUp(t, h)
		databaseCut(t, h, p, admin, accounts, d)
		lost, twice := checkNothingLost(t, h, admin, accounts)
		t.Logf("credentials: %d users, %d lost, %d acknowledged verifications applied twice", len(accounts), lost, twice)
	})
}

func setUp(t *testing.T, h *host) (string, []*account) {
	t.Helper()
	h.run("users", "create", "chaos-admin", "--admin")
	admin := h.run("tokens", "create", "chaos-admin", "--admin")
	start := time.Now()
	accounts := enrollUsers(t, h, admin, users)
	t.Logf("enrolled %d users in %s", len(accounts), time.Since(start).Round(time.Millisecond))
	return admin, accounts
}

// startLoad runs the load until the returned stop function is called, which
// returns the samples.
func startLoad(t *testing.T, h *host, admin string, accounts []*account) (stop func() []sample) {
	done := make(chan struct{})
	result := make(chan []sample, 1)
	go func() { result <- load(t, h, admin, accounts, done) }()
	return func() []sample {
		close(done)
		return <-result
	}
}

// killedEverySecond SIGKILLs one live TOTP plugin process a second for d.
func killedEverySecond(t *testing.T, h *host, admin string, accounts []*account, d time.Duration) {
	stop := startLoad(t, h, admin, accounts)
	tick := time.NewTicker(time.Second)
	kills := 0
	for end := time.Now().Add(d); time.Now().Before(end); {
		<-tick.C
		if pids := h.pluginPIDs("totp"); len(pids) > 0 {
			if syscall.Kill(pids[rand.IntN(len(pids))], syscall.SIGKILL) == nil {
				kills++
			}
		}
	}
	tick.Stop()
	c := count(stop())
	t.Logf("phase 1, one plugin process SIGKILLed every second for %s: %d kills; %s", d, kills, c)
	goal(t, c.rate() <= 0.1, "failure rate %.3f%% <= 0.1%%", c.rate())
	if c.serverErrors > 0 || c.unavailableWithout > 0 {
		t.Errorf("a killed plugin process must never show as a 5xx other than 503 with Retry-After: %s", c)
	}
}

// killedFasterThanTheyStart SIGKILLs every TOTP plugin process the moment
// it appears, for d, then lets the host recover.
func killedFasterThanTheyStart(t *testing.T, h *host, admin string, accounts []*account, d time.Duration) {
	stop := startLoad(t, h, admin, accounts)
	start := time.Now()
	var lastKill time.Time
	kills := 0
	for end := start.Add(d); time.Now().Before(end); {
		for _, pid := range h.pluginPIDs("totp") {
			if syscall.Kill(pid, syscall.SIGKILL) == nil {
				kills++
				lastKill = time.Now()
			}
		}
		time.Sleep(5 * time.Millisecond) // the killer's own pace, not a wait for the host
	}
	time.Sleep(recoveryWindow) // keep the load going to watch the recovery
	samples := stop()
	during := count(between(samples, start, lastKill))
	t.Logf("phase 2, every plugin process SIGKILLed as it appears for %s: %d kills; during the kills: %s", d, kills, during)
	if during.unavailableWithRetry == 0 {
		t.Errorf("no 503 with Retry-After while the plugin was down: %s", during)
	}
	if during.serverErrors > 0 || during.unavailableWithout > 0 {
		t.Errorf("a plugin that is down must be 503 with Retry-After, never another 5xx: %s", during)
	}
	at, ok := recoveredAt(samples, lastKill)
	if !ok {
		t.Fatalf("no verification succeeded within %s of the last kill: %s", recoveryWindow, count(between(samples, lastKill, lastKill.Add(time.Hour))))
	}
	recovery := at.Sub(lastKill)
	t.Logf("phase 2, recovery: first successful verification %s after the last kill", recovery.Round(time.Millisecond))
	goal(t, recovery <= 2*time.Second, "recovery %s <= 2s after the last kill", recovery.Round(time.Millisecond))
}

// databaseCut cuts the host's PostgreSQL connection for cutLength in the
// middle of d of load.
func databaseCut(t *testing.T, h *host, p *proxy, admin string, accounts []*account, d time.Duration) {
	stop := startLoad(t, h, admin, accounts)
	before := max(d/2-cutLength/2, time.Second)
	time.Sleep(before) // load before the cut
	cutAt := time.Now()
	p.setCut(true)
	time.Sleep(cutLength) // the outage itself
	restoredAt := time.Now()
	p.setCut(false)
	time.Sleep(max(d-before-cutLength, recoveryWindow)) // load after the cut
	samples := stop()
	all, during := count(samples), count(between(samples, cutAt, restoredAt))
	t.Logf("phase 3, PostgreSQL cut for %s in %s of load: overall %s", cutLength, d, all)
	t.Logf("phase 3, during the cut: %s", during)
	if during.serverErrors > 0 || during.unavailableWithout > 0 {
		t.Errorf("a database that is away must be 503 with Retry-After, never another 5xx: %s", during)
	}
	goal(t, during.maxLatency <= callTimeout, "no request during the cut took longer than the call timeout %s (max %s)", callTimeout, during.maxLatency.Round(time.Millisecond))
	at, ok := recoveredAt(samples, restoredAt)
	if !ok {
		t.Fatalf("no verification succeeded after the database came back: %s", count(between(samples, restoredAt, restoredAt.Add(time.Hour))))
	}
	recovery := at.Sub(restoredAt)
	t.Logf("phase 3, recovery: first successful verification %s after the database came back", recovery.Round(time.Millisecond))
	goal(t, recovery <= 2*time.Second, "recovery %s <= 2s after the database came back", recovery.Round(time.Millisecond))
}
