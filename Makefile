# trailwatch — CIS AWS Foundations monitoring alerts from CloudTrail.
# `make` alone lists the targets.

SHELL := /bin/bash
GO    ?= go
CDK   ?= npx --yes aws-cdk@2.1148.1
FUZZTIME ?= 30s
BENCHTIME ?= 3x
# Extra cdk arguments; ALERT_EMAILS=a@x.com,b@y.com is a shortcut for -c alertEmails=...
CDK_ARGS ?= $(if $(ALERT_EMAILS),-c alertEmails=$(ALERT_EMAILS))
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION ?= 20

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-11s %s\n", $$1, $$2}'

.PHONY: demo
demo: ## Scan the bundled sample CloudTrail files and print the alerts subscribers would receive
	@$(GO) run ./lambda/cmd/trailwatch scan testdata/cloudtrail

.PHONY: test
test: tools/emulators/node_modules ## Run every test: engine, rules and their inline tests, CLI, Lambda integration, CDK stack
	$(GO) test -count=1 ./...

# The Node emulators some integration tests start (fauxqs for the SQS JSON protocol).
tools/emulators/node_modules: tools/emulators/package-lock.json
	cd tools/emulators && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

.PHONY: rules-test
rules-test: ## Validate the rule files and run their inline tests
	$(GO) run ./lambda/cmd/trailwatch test --rules rules

.PHONY: build
build: ## Build the Lambda: dist/lambda/bootstrap (linux/arm64, static, stripped)
	@mkdir -p dist/lambda
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -tags lambda.norpc -trimpath -ldflags "-s -w" -o dist/lambda/bootstrap ./lambda
	@ls -l dist/lambda/bootstrap | awk '{printf "dist/lambda/bootstrap: %.1f MiB\n", $$5/1048576}'

.PHONY: cli
cli: ## Build the trailwatch CLI into dist/trailwatch
	@mkdir -p dist
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w" -o dist/trailwatch ./lambda/cmd/trailwatch

.PHONY: lint
lint: ## gofmt, go vet, and a tidy go.mod
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@cp go.mod /tmp/trailwatch.go.mod.bak; cp go.sum /tmp/trailwatch.go.sum.bak; \
	$(GO) mod tidy; \
	if ! git diff --quiet -- go.mod go.sum; then echo "go.mod/go.sum not tidy:"; git --no-pager diff -- go.mod go.sum; \
	  cp /tmp/trailwatch.go.mod.bak go.mod; cp /tmp/trailwatch.go.sum.bak go.sum; exit 1; fi

.PHONY: fuzz
fuzz: ## Run every fuzz target for FUZZTIME (default 30s) each
	@set -e; for pkg in $$($(GO) list ./lambda/...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; done

.PHONY: bench
bench: ## Benchmarks: engine throughput vs gzip decompression alone, and vs gzip -dc | jq
	./scripts/bench.sh

.PHONY: synth
synth: build rules-test ## Synthesize the CloudFormation template (cdk synth)
	$(CDK) synth $(CDK_ARGS)

.PHONY: diff
diff: build rules-test ## Show what a deploy would change (cdk diff)
	$(CDK) diff $(CDK_ARGS)

.PHONY: deploy
deploy: build rules-test ## Build the Lambda, test the rules, deploy the stack (cdk deploy)
	$(CDK) deploy $(CDK_ARGS)

.PHONY: destroy
destroy: build ## Delete the stack (buckets, keys and log group are retained; see README)
	$(CDK) destroy $(CDK_ARGS)

.PHONY: clean
clean: ## Remove build output
	rm -rf dist cdk.out
