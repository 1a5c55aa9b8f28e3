# Factorgate build. `make run` and `make test` are all a newcomer needs; every
# tool a target uses is installed by the target itself, pinned, into bin/tools.

GO        ?= go
BIN       := $(CURDIR)/bin
TOOLS     := $(BIN)/tools
PLUGINDIR := $(BIN)/plugins

BUF_VERSION                := v1.75.0
PROTOC_GEN_GO_VERSION      := v1.36.12
PROTOC_GEN_GO_GRPC_VERSION := v1.6.2
PROTOC_GEN_CONNECT_GO_VERSION := v1.21.1
STATICCHECK_VERSION        := v0.8.2

# Tests that need PostgreSQL read this; unset, they skip with a message.
FACTORGATE_TEST_POSTGRES_DSN ?=
export FACTORGATE_TEST_POSTGRES_DSN

.PHONY: all build plugins go-plugins node-plugins host run test test-short test-browser browser-deps bench bench-e2e chaos proto lint fuzz clean tools

all: build

build: host plugins

host:
	$(GO) build -trimpath -o $(BIN)/factorgate ./host

# Every factors/<name>/cmd/factorgate-factor-<name> (and an example plugin's
# cmd/factorgate-factor-<name>) becomes bin/plugins/factorgate-factor-<name>;
# the Node.js example becomes bin/plugins/factorgate-factor-node-hotp.
PLUGIN_PKGS = $(sort $(dir $(wildcard factors/*/cmd/factorgate-factor-*/main.go examples/*/cmd/factorgate-factor-*/main.go)))
plugins: go-plugins node-plugins

# Plugins are built without cgo (no libc and loader mapped into each process;
# the pure-Go resolver serves an SMS sender's lookups) and without gRPC's
# golang.org/x/net/trace pages (grpcnotrace), which a plugin never serves:
# 2 MB less RSS per plugin process. factors/plugins_test.go checks what
# plugins link under the same settings.
PLUGIN_TAGS := grpcnotrace
go-plugins:
	@mkdir -p $(PLUGINDIR)
	CGO_ENABLED=0 $(GO) build -trimpath -tags $(PLUGIN_TAGS) -o $(PLUGINDIR)/ $(addprefix ./,$(PLUGIN_PKGS))

# The Node.js example is copied with its production dependencies into
# bin/plugins/node-hotp/. Its executable is a launcher that names node by its
# absolute path: plugins start without PATH. Without node and npm it is skipped
# with a message (CI installs them and checks the plugin).
NODE        ?= $(shell command -v node 2>/dev/null)
NPM         ?= npm
NODE_HOTP   := $(PLUGINDIR)/node-hotp
node-plugins:
	@if [ -z "$(NODE)" ] || ! command -v $(NPM) >/dev/null 2>&1; then \
	  echo "skipping examples/node-hotp: node and npm are not installed (apt-get install nodejs npm)"; exit 0; \
	fi; \
	set -e; \
	rm -rf $(NODE_HOTP) && mkdir -p $(NODE_HOTP); \
	cp -RL examples/node-hotp/package.json examples/node-hotp/package-lock.json examples/node-hotp/src examples/node-hotp/proto $(NODE_HOTP)/; \
	(cd $(NODE_HOTP) && $(NPM) ci --omit=dev --no-audit --no-fund --loglevel=error); \
	printf '#!/bin/sh\n# Factorgate plugin launcher: the host starts plugins without PATH, so node\n# is named by its absolute path.\nexec %s "$${0%%/*}/node-hotp/src/main.js"\n' "$(NODE)" > $(PLUGINDIR)/factorgate-factor-node-hotp; \
	chmod 755 $(PLUGINDIR)/factorgate-factor-node-hotp; \
	echo "built $(PLUGINDIR)/factorgate-factor-node-hotp (node $(NODE))"

# Starts the host on the embedded SQLite database under ./data with a demo
# user, API token and OAuth2 client, and prints what to open.
run:
	@echo "make run: building the host and the factor plugins into $(BIN) (the first build downloads modules and takes a minute)..."
	@$(MAKE) --no-print-directory build
	@echo "make run: starting the host with a demo user, API token and OAuth client (data in ./data; Ctrl-C stops it)..."
	FACTORGATE_PLUGIN_DIR=$(PLUGINDIR) $(BIN)/factorgate serve --demo

test:
	$(GO) test -race -count=1 -timeout 20m ./...

test-short:
	$(GO) test -count=1 -short ./...

# Browser tests (every test named TestBrowser...): Debian's Chromium driven by
# playwright-core through host/internal/browser. The driver's npm packages come
# from its committed lockfile; Chromium is Debian's package (apt-get install
# chromium; .ci/run installs it). In `make test` these tests skip.
BROWSER_DRIVER := host/internal/browser/driver
browser-deps:
	@command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || \
	  { echo "browser tests need node and npm (apt-get install nodejs npm)"; exit 1; }
	cd $(BROWSER_DRIVER) && $(NPM) ci --no-audit --no-fund --loglevel=error

test-browser: browser-deps
	FACTORGATE_BROWSER_TESTS=1 $(GO) test -count=1 -timeout 20m -run 'Browser' ./host/...

# Benchmarks print their figures, then the ratios between the in-process and
# plugin paths of the same benchmark.
bench:
	@mkdir -p $(BIN)
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 2s ./... | tee $(BIN)/bench.txt
	@awk -f .ci/ratios.awk $(BIN)/bench.txt

# The host measured from outside against a floor program (HTTP, the same
# TOTP check, one durable write per request) on SQLite and, with
# FACTORGATE_TEST_POSTGRES_DSN set, PostgreSQL: interleaved rounds of fresh
# valid codes from BENCH_CLIENTS (16) clients over BENCH_USERS (5000) seeded
# users; prints verifications/s, p50, p99, ratios, CPU and RSS.
BENCH_USERS   ?= 5000
BENCH_CLIENTS ?= 16
bench-e2e: host go-plugins
	$(GO) build -trimpath -o $(BIN)/bench-floor ./host/internal/benche2e/cmd/bench-floor
	$(GO) build -trimpath -o $(BIN)/bench-e2e ./host/internal/benche2e/cmd/bench-e2e
	$(BIN)/bench-e2e -host $(BIN)/factorgate -plugin $(PLUGINDIR)/factorgate-factor-totp -floor $(BIN)/bench-floor \
	  -users $(BENCH_USERS) -clients $(BENCH_CLIENTS)

# Fault injection (host/chaos): a steady verification load over HTTP while
# plugin processes are SIGKILLed and the PostgreSQL connection is cut through
# a proxy the suite owns. CHAOS_SECONDS is the length of each phase; goals
# (failure rate, recovery time) fail the run unless CHAOS_STRICT=0.
CHAOS_SECONDS ?= 60
CHAOS_STRICT  ?= 1
chaos:
	FACTORGATE_CHAOS_SECONDS=$(CHAOS_SECONDS) FACTORGATE_CHAOS_STRICT=$(CHAOS_STRICT) \
	  $(GO) test -count=1 -v -timeout 30m -run '^TestChaos$$' ./host/chaos

# Short fuzzing of every committed fuzz target (FUZZTIME per target: a
# duration such as 30s, or a number of runs such as 3000x, which CI uses:
# Go 1.26 may fail a duration that runs out mid-run, golang/go#75804).
FUZZTIME ?= 10s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
	  for target in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/func //'); do \
	    echo "fuzz $$pkg $$target"; \
	    $(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

$(TOOLS)/buf:
	GOBIN=$(TOOLS) $(GO) install github.com/bufbuild/buf/cmd/buf@$(BUF_VERSION)
$(TOOLS)/protoc-gen-go:
	GOBIN=$(TOOLS) $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
$(TOOLS)/protoc-gen-go-grpc:
	GOBIN=$(TOOLS) $(GO) install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)
$(TOOLS)/protoc-gen-connect-go:
	GOBIN=$(TOOLS) $(GO) install connectrpc.com/connect/cmd/protoc-gen-connect-go@$(PROTOC_GEN_CONNECT_GO_VERSION)
$(TOOLS)/staticcheck:
	GOBIN=$(TOOLS) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

tools: $(TOOLS)/buf $(TOOLS)/protoc-gen-go $(TOOLS)/protoc-gen-go-grpc $(TOOLS)/protoc-gen-connect-go $(TOOLS)/staticcheck

# Regenerates the committed Go code of every .proto with the pinned generators.
proto: $(TOOLS)/buf $(TOOLS)/protoc-gen-go $(TOOLS)/protoc-gen-go-grpc $(TOOLS)/protoc-gen-connect-go
	@for gen in $$(find plugin host -name buf.gen.yaml); do \
	  echo "buf generate in $$(dirname $$gen)"; \
	  (cd $$(dirname $$gen) && PATH=$(TOOLS):$$PATH $(TOOLS)/buf generate) || exit 1; \
	done

lint: $(TOOLS)/staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '\.pb\.go$$')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(TOOLS)/staticcheck ./...

clean:
	rm -rf $(BIN)
