# wabsp developer tasks. `make help` lists them.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)
IMAGE    ?= wabsp:local

GOBIN    := $(or $(shell go env GOBIN),$(shell go env GOPATH)/bin)
HELM_VERSION  := v3.22.0
HELM     := $(or $(shell command -v helm 2>/dev/null),$(GOBIN)/helm)
CHART    := deploy/helm/wabsp
# @redocly/cli is pinned so a new release cannot change what lint accepts.
REDOCLY  := npx --yes @redocly/cli@2.77.0
JOSE_DIR := internal/auth/testdata/jose
SW_DIR   := webhooks/outbound/testdata/standardwebhooks

.PHONY: help demo test test-deps generate check-generated lint helm-check build image bench soak migrate

help: ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

demo: ## Run everything on this machine with simulated Meta traffic.
	go run ./cmd/wabsp demo

# The packages whose tests take longest go first, so that on two cores no long
# package is left to run alone at the end.
SLOW_TEST_PKGS := ./workers/ ./internal/httpapi/ ./cmd/wabsp/ ./internal/console/

test: test-deps ## Run every test with the race detector (needs Postgres and Redis).
	go test -race -count=1 $(SLOW_TEST_PKGS) ./...

# The JWT tests cross-check our tokens with a third-party JOSE library on Node,
# and the outbound webhook tests check our signatures with the Standard Webhooks one.
test-deps:
	@for dir in $(JOSE_DIR) $(SW_DIR); do \
		if [[ -f $$dir/package.json && ! -d $$dir/node_modules ]]; then \
			npm ci --prefix $$dir --no-audit --no-fund; \
		fi; \
	done

generate: ## Regenerate code (the OpenAPI server and types).
	go generate ./...

check-generated: generate ## Fail when generated code differs from what is committed.
	@git diff --exit-code || { echo "generated code is stale: run 'make generate' and commit the result" >&2; exit 1; }
	@untracked="$$(git ls-files --others --exclude-standard)"; \
	if [[ -n "$$untracked" ]]; then \
		echo "untracked files (generated code must be committed):" >&2; echo "$$untracked" >&2; exit 1; \
	fi

lint: ## go vet, gofmt and the OpenAPI linter.
	go vet ./...
	@unformatted="$$(git ls-files --cached --others --exclude-standard '*.go' | xargs -r gofmt -l)"; \
	if [[ -n "$$unformatted" ]]; then \
		echo "not gofmt-formatted (run gofmt -w):" >&2; echo "$$unformatted" >&2; exit 1; \
	fi
	$(REDOCLY) lint --config openapi/redocly.yaml openapi/openapi.yaml

helm-check: | $(HELM) ## Lint and render the Helm chart with its main value variations.
	$(HELM) lint --strict $(CHART)
	$(HELM) lint --strict $(CHART) --set existingSecret=wabsp --set api.autoscaling.enabled=false --set worker.autoscaling.enabled=false
	$(HELM) template wabsp $(CHART) >/dev/null
	$(HELM) template wabsp $(CHART) --set existingSecret=wabsp >/dev/null
	$(HELM) template wabsp $(CHART) --set api.autoscaling.enabled=false --set worker.autoscaling.enabled=false >/dev/null
	$(HELM) template wabsp $(CHART) --set serviceAccount.create=false --set migrate.enabled=false \
		--set api.podDisruptionBudget.enabled=false --set worker.podDisruptionBudget.enabled=false >/dev/null

$(GOBIN)/helm:
	go install helm.sh/helm/v3/cmd/helm@$(HELM_VERSION)

build: ## Build bin/wabsp.
	CGO_ENABLED=0 go build -trimpath -ldflags "$(LDFLAGS)" -o bin/wabsp ./cmd/wabsp

image: ## Build the container image (needs Docker with BuildKit).
	docker build -f deploy/Dockerfile -t $(IMAGE) \
		--build-arg VERSION=$(VERSION) \
		--build-arg REVISION=$$(git rev-parse HEAD) \
		--build-arg CREATED=$$(date -u +%Y-%m-%dT%H:%M:%SZ) .

bench: ## Load-test the webhook intake and the workers.
	go run ./cmd/wabsp-bench

soak: ## Ten minutes at 5,000 status events/s through 2 serve, 2 work and 1 schedule processes.
	go run ./cmd/wabsp-bench --skip ceiling,intake --e2e-duration 10m --e2e-rate 5000 --serve-procs 2 --work-procs 2 --schedule

migrate: ## Apply database migrations to WABSP_DATABASE_URL.
	go run ./cmd/wabsp migrate
