# Every routine task of the byok project. `make check` is what CI runs.
# Tools are pinned here or in go.mod (`tool` lines); nothing is assumed to be
# installed beyond Go, make and Node/npm.

GO            ?= go
GOLANGCI_LINT_VERSION := v2.15.0
BIN           := $(CURDIR)/bin
GOLANGCI_LINT := $(BIN)/golangci-lint-$(GOLANGCI_LINT_VERSION)
LOCALKMS      := $(BIN)/local-kms
LOCALKMS_ENV  := BYOK_LOCALKMS_BIN=$(LOCALKMS) BYOK_REQUIRE_LOCALKMS=1
OUT           := $(CURDIR)/build
CONTRACT_DIR  := $(OUT)/contract
CONTRACT_ENV  := BYOK_CONTRACT_DIR=$(CONTRACT_DIR)
NODE_BIN      := $(CURDIR)/node_modules/.bin
NODE_TOOLS    := $(CURDIR)/node_modules/.installed
OASDIFF       := $(GO) run github.com/oasdiff/oasdiff@v1.35.0
# Prometheus v3.16.0 (its Go module tags are v0.3xx.y); promtool tests the
# alerting rules, prometheus runs them in make e2e.
PROMETHEUS_VERSION := v0.316.0
PROMTOOL      := $(BIN)/promtool-$(PROMETHEUS_VERSION)
PROMETHEUS    := $(BIN)/prometheus-$(PROMETHEUS_VERSION)
SPEC          ?= openapi/byok-v1.yaml
PRISM_ENV     := BYOK_PRISM_BIN=$(NODE_BIN)/prism
PRISM_SUITES  ?= ./wrapper/... ./cmd/...
PRISM_RUN     ?= ^TestPrism
PRISM_MIN     ?= 40

.PHONY: all check generate drift lint test shells localkms prometheus-tools demo bench contract spectral prism fuzz breaking breaking-latest rules e2e clean

all: check

## check: everything CI checks (drift, lint, tests, contract checks). It is
## deterministic: the fuzz targets run their committed seed corpora (in
## make test, as go test does), never random exploration, so a new fuzzing
## finding cannot block an unrelated change. Exploration is make fuzz.
check: drift lint test spectral breaking-latest prism contract rules

## generate: regenerate package api, the fake's create-body rules
## (wrapper/byoktest/rules.gen.go) and the properties the library's creates
## leave out (wrapper/readonly.gen.go) from openapi/byok-v1.yaml.
generate:
	$(GO) generate ./...

## drift: fail when the committed generated code (api/, the fake's
## create-body rules in wrapper/byoktest/rules.gen.go, the read-only
## properties in wrapper/readonly.gen.go) differs from a fresh generation.
GENERATED := api/ wrapper/byoktest/rules.gen.go wrapper/readonly.gen.go
drift: generate
	@git diff --exit-code -- $(GENERATED) || { echo "generated code is stale: run 'make generate' and commit the result" >&2; exit 1; }
	@test -z "$$(git status --porcelain -- $(GENERATED))" || { echo "generated files git does not track: commit them" >&2; git status --porcelain -- $(GENERATED) >&2; exit 1; }

## lint: gofmt, go vet and golangci-lint (pinned).
lint: $(GOLANGCI_LINT)
	@out=$$(gofmt -l $$(git ls-files '*.go')); test -z "$$out" || { echo "gofmt needed on:" >&2; echo "$$out" >&2; exit 1; }
	$(GO) vet ./...
	$(GOLANGCI_LINT) run ./...

$(GOLANGCI_LINT):
	@mkdir -p $(BIN)
	GOBIN=$(BIN) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)
	mv $(BIN)/golangci-lint $@

## test: all tests with the race detector. Each contract validator a test
## makes (contract.ForTest) records the pairs it saw in $(CONTRACT_DIR).
## The tests of byokctl grants --check and --apply run against the KMS
## emulator (LOCALKMS); BYOK_REQUIRE_LOCALKMS makes them fail, not skip,
## without it.
test: shells $(LOCALKMS)
	rm -rf $(CONTRACT_DIR)
	$(CONTRACT_ENV) $(LOCALKMS_ENV) $(GO) test -race -count=1 ./...

## localkms: bin/local-kms, the AWS KMS emulator github.com/nsmithuk/local-kms,
## pinned in internal/localkms/go.mod (a module of its own, so that its
## dependencies stay out of byok's) and built from the Go module proxy;
## internal/localkms/main.go serves it on loopback only.
localkms: $(LOCALKMS)
$(LOCALKMS): internal/localkms/go.mod internal/localkms/go.sum internal/localkms/main.go
	@mkdir -p $(BIN)
	cd internal/localkms && CGO_ENABLED=0 $(GO) build -trimpath -o $@ .

## shells: the shells byokctl's printed commands are pasted into by the
## tests (TestShellCommandsInEveryShell): bash, dash, zsh and fish, from
## Debian packages, installed with apt-get (as root) when missing. Where one
## cannot be installed, the test skips it and says so; under CI (CI set),
## where a skip would hide a missing check, make shells fails instead.
SHELLS := bash dash zsh fish
shells:
	@missing=; for s in $(SHELLS); do command -v $$s >/dev/null 2>&1 || missing="$$missing $$s"; done; \
	if [ -n "$$missing" ]; then \
		echo "shells: installing$$missing with apt-get"; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; } \
			|| { echo "shells: could not install$$missing; the tests that paste commands into them skip them" >&2; test -z "$$CI"; }; \
	fi

## contract: the tests, then the table of the 39 documented (operation,
## status) pairs with how often each was seen and valid; fails on a pair
## never seen.
contract: test
	$(GO) run ./internal/contract/cmd/coverage -dir $(CONTRACT_DIR)

## spectral: lint the spec with spectral:oas and the rules in .spectral.yaml
## (any warning fails), and test that each rule of ours catches what it should.
spectral: $(NODE_TOOLS)
	$(NODE_BIN)/spectral lint openapi/byok-v1.yaml --ruleset .spectral.yaml --fail-severity=warn
	BYOK_SPECTRAL_BIN=$(NODE_BIN)/spectral $(GO) test -count=1 ./internal/contract/speclint/...

## breaking: fail when the spec (SPEC, the working tree's by default) breaks
## a client of the spec at git ref BASE: make breaking BASE=v1.2.0
breaking:
	@test -n "$(BASE)" || { echo "breaking: name the git ref to compare with: make breaking BASE=<ref>" >&2; exit 2; }
	@mkdir -p $(OUT)
	git show $(BASE):openapi/byok-v1.yaml > $(OUT)/byok-v1.base.yaml
	$(OASDIFF) breaking $(OUT)/byok-v1.base.yaml $(SPEC) --fail-on ERR

## breaking-latest: make breaking against the newest v* tag, if there is one.
breaking-latest:
	@tag=$$(git tag --list 'v*' --sort=-v:refname | head -n 1); \
	if [ -z "$$tag" ]; then echo "breaking: no v* tag yet, so no released spec to compare with"; \
	else $(MAKE) --no-print-directory breaking BASE=$$tag; fi

## prism: the independent check with Prism (pinned): smoke suites of the
## five operations against `prism mock` and through `prism proxy --errors`
## in front of byoktest, wrong responses caught by both validators, then
## the suites' TestPrism* tests (PRISM_RUN) run through each (see
## internal/contract/cmd/prismrun and contract.ExternalEndpoint). These runs
## record no contract coverage: the mock answers with the spec's own
## examples, which would fill the table without our server answering.
prism: $(NODE_TOOLS)
	@mkdir -p $(OUT)
	$(PRISM_ENV) $(GO) test -race -count=1 ./internal/contract/prism/... ./internal/contract/cmd/prismrun/...
	$(PRISM_ENV) $(GO) run ./internal/contract/cmd/prismrun -mode proxy -min-exchanges $(PRISM_MIN) -log $(OUT)/prism-proxy.log -- $(GO) test -race -count=1 -run '$(PRISM_RUN)' $(PRISM_SUITES)
	$(PRISM_ENV) $(GO) run ./internal/contract/cmd/prismrun -mode mock -min-exchanges $(PRISM_MIN) -log $(OUT)/prism-mock.log -- $(GO) test -race -count=1 -run '$(PRISM_RUN)' $(PRISM_SUITES)

# The Node tools (spectral, prism), pinned by package-lock.json.
$(NODE_TOOLS): package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	@touch $@

## demo: the main job against the embedded fake server.
demo:
	$(GO) run ./cmd/byokctl demo

## bench: the wrapper's benchmarks against their baselines, measured side by
## side in BENCH_ROUNDS rounds: each round runs a benchmark and its baseline
## back to back (in turn first), with -benchmem and GOMAXPROCS=BENCH_CPU (1:
## on a shared machine both then compete for the CPU alike), and
## BENCH_LIST_ROUNDS of the rounds also run the listings. benchstat (pinned)
## summarises build/bench/raw.txt; benchreport prints the ratio table and
## writes it to build/bench/ratios.txt. BENCH_STRICT=1 fails on a missed
## target.
BENCH_DIR         := $(OUT)/bench
BENCH_ROUNDS      ?= 10
BENCH_LIST_ROUNDS ?= 3
BENCH_TIME        ?= 500ms
BENCH_CPU         ?= 1
BENCH_PAIRS       := DecodeKeyPage,DecodeKeyPageStdlib GetKey,GetKeyRaw
BENCH_LIST        := ^BenchmarkListKeys(Raw)?$$
BENCH_RUN         := $(BENCH_DIR)/wrapper.test -test.run='^$$' -test.benchmem
BENCHSTAT         := $(GO) run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
bench:
	@mkdir -p $(BENCH_DIR)
	$(GO) test -c -o $(BENCH_DIR)/wrapper.test ./wrapper
	@rm -f $(BENCH_DIR)/raw.txt
	@cd wrapper && for i in $$(seq $(BENCH_ROUNDS)); do \
		echo "bench: round $$i of $(BENCH_ROUNDS)" >&2; \
		for pair in $(BENCH_PAIRS); do \
			set -- $${pair%,*} $${pair#*,}; \
			[ $$((i % 2)) = 1 ] || set -- $$2 $$1; \
			for x in "$$@"; do \
				$(BENCH_RUN) -test.cpu=$(BENCH_CPU) -test.benchtime=$(BENCH_TIME) -test.bench="^Benchmark$$x\$$" >> $(BENCH_DIR)/raw.txt || exit 1; \
			done; \
		done; \
		if [ $$i -le $(BENCH_LIST_ROUNDS) ]; then \
			$(BENCH_RUN) -test.benchtime=3x -test.bench='$(BENCH_LIST)/^keys=10000$$' >> $(BENCH_DIR)/raw.txt || exit 1; \
			$(BENCH_RUN) -test.benchtime=1x -test.bench='$(BENCH_LIST)/^keys=100000$$' >> $(BENCH_DIR)/raw.txt || exit 1; \
		fi; \
	done
	$(BENCHSTAT) $(BENCH_DIR)/raw.txt > $(BENCH_DIR)/benchstat.txt
	@cat $(BENCH_DIR)/benchstat.txt; echo
	$(GO) run ./internal/benchreport -out $(BENCH_DIR)/ratios.txt $(if $(BENCH_STRICT),-strict) $(BENCH_DIR)/raw.txt

## fuzz: random exploration of every fuzz target for FUZZTIME each (30s
## unless set), one after the other: go test -fuzz runs one target of one
## package at a time. Not part of make check (which runs the seed corpora
## only); run it weekly, and after changing a decoder, the fake's handler
## or the data-file loader. The race detector is off for speed (make test
## runs the seed corpora in testdata/fuzz with it). Prints the executions of
## each target; a failing input is written to the target's testdata/fuzz
## directory: commit it with the fix. The full log of a target is in
## build/fuzz/<target>.log. The minimisation of each new input is capped at
## FUZZMINIMIZE (Go's default, 60s, would spend a short run on one input).
FUZZTIME       ?= 30s
FUZZMINIMIZE   ?= 1s
FUZZ_DIR       := $(OUT)/fuzz
FUZZ_TARGETS   := ./wrapper:FuzzKeyDecode ./wrapper:FuzzFailureDecode ./wrapper:FuzzRateLimitHeaders \
                  ./wrapper/byoktest:FuzzPageToken ./wrapper/byoktest:FuzzHandler ./wrapper/byoktest:FuzzDataFile \
                  ./cmd/byokctl:FuzzOutputFormats ./cmd/byokctl:FuzzArgs
fuzz:
	@mkdir -p $(FUZZ_DIR)
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		$(GO) test -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(FUZZTIME) -fuzzminimizetime=$(FUZZMINIMIZE) $$pkg > $(FUZZ_DIR)/$$name.log 2>&1 \
			|| { cat $(FUZZ_DIR)/$$name.log >&2; echo "fuzz: $$name failed" >&2; exit 1; }; \
		printf 'fuzz: %-22s %-20s %s executions in %s\n' $$name $$pkg \
			"$$(grep -o 'execs: [0-9]*' $(FUZZ_DIR)/$$name.log | tail -n 1 | cut -d' ' -f2)" $(FUZZTIME); \
	done

clean:
	rm -rf $(BIN) $(OUT)

## rules: the alerting rules of deploy/prometheus: promtool check rules,
## promtool test rules (the unit tests of each alert), and promtool check
## metrics on a scrape of byokctl exporter (TestExporterScrapePassesPromtool).
rules: $(PROMTOOL)
	$(PROMTOOL) check rules deploy/prometheus/byok-alerts.yaml
	cd deploy/prometheus && $(PROMTOOL) test rules byok-alerts_test.yaml
	BYOK_PROMTOOL_BIN=$(PROMTOOL) $(GO) test -race -count=1 -run '^TestExporterScrapePassesPromtool$$' ./cmd/byokctl

## e2e: byokctl serve with three keys, byokctl exporter and a real
## Prometheus (pinned) with the shipped rules, scraping and evaluating every
## second, all on loopback: one key loses access, and Prometheus' API must
## report ByokKeyInvalid firing for exactly that key within the test's
## deadline (3 minutes). .ci/run runs it after make check.
e2e: $(PROMETHEUS)
	@mkdir -p $(OUT)/e2e
	$(GO) build -o $(OUT)/e2e/byokctl ./cmd/byokctl
	BYOK_BYOKCTL_BIN=$(OUT)/e2e/byokctl BYOK_PROMETHEUS_BIN=$(PROMETHEUS) $(GO) test -count=1 -v -run '^TestAlertsWithPrometheus$$' ./cmd/byokctl/internal/e2e

# The Prometheus tools, pinned, built from source into bin/ by one go install
# (so their shared dependencies compile once), renamed to carry the version
# as golangci-lint is. Cheap to build on a cold machine: the tag
# remove_all_sd leaves out Prometheus' service-discovery plugins but file
# and http (plugins/ in its module; make e2e scrapes a static_configs
# target), CGO_ENABLED=0 and -trimpath, no race detector. Immutable: go
# install checks the module against the checksum database and its
# dependencies against its go.sum, and the recipe first checks the module's
# hash against PROMETHEUS_SUM (go mod download -json prints it), which holds
# even where the checksum database is turned off. The build holds a lock in
# bin/, so that a second make (.ci/run builds the tools while make check
# runs) waits for it rather than building them again.
PROMETHEUS_MODULE := github.com/prometheus/prometheus
PROMETHEUS_SUM    := h1:f1GRFerhTMKQma+awCoC9T820ecWeGSdF+xAlMHzZzM=
PROMETHEUS_GOBIN  := $(BIN)/.prometheus-$(PROMETHEUS_VERSION)
prometheus-tools: $(PROMTOOL) $(PROMETHEUS)
$(PROMTOOL) $(PROMETHEUS) &:
	@mkdir -p $(BIN)
	@exec 9>$(BIN)/.prometheus-$(PROMETHEUS_VERSION).lock; flock 9; \
	if [ -x $(PROMTOOL) ] && [ -x $(PROMETHEUS) ]; then echo "prometheus-tools: built meanwhile by another make"; exit 0; fi; \
	sum=$$($(GO) mod download -json $(PROMETHEUS_MODULE)@$(PROMETHEUS_VERSION) | sed -n 's/^[[:space:]]*"Sum": "\(.*\)",*$$/\1/p'); \
	test "$$sum" = "$(PROMETHEUS_SUM)" || { echo "$(PROMETHEUS_MODULE)@$(PROMETHEUS_VERSION) has hash '$$sum', the Makefile pins $(PROMETHEUS_SUM)" >&2; exit 1; }; \
	set -x; rm -rf $(PROMETHEUS_GOBIN); \
	GOBIN=$(PROMETHEUS_GOBIN) CGO_ENABLED=0 $(GO) install -trimpath -tags remove_all_sd \
		$(PROMETHEUS_MODULE)/cmd/promtool@$(PROMETHEUS_VERSION) $(PROMETHEUS_MODULE)/cmd/prometheus@$(PROMETHEUS_VERSION) && \
	mv $(PROMETHEUS_GOBIN)/promtool $(PROMTOOL) && mv $(PROMETHEUS_GOBIN)/prometheus $(PROMETHEUS) && rmdir $(PROMETHEUS_GOBIN)
