# flowkit: make setup | notebook | test | bench | fmt | vet
#
# GOEXPERIMENT=simd turns on the AVX2/AVX-512 matmul kernels of GoMLX's pure-Go backend (much
# faster matmul); a plain build works too: `make test GOEXPERIMENT=`.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

GOEXPERIMENT ?= simd
export GOEXPERIMENT

# Jupyter from Debian's packages (its scripts run /usr/bin/python3, whatever python3 is on PATH).
JUPYTER ?= /usr/bin/jupyter
# The GoNB kernel that scripts/setup.sh registers lives in this checkout's build/jupyter.
export JUPYTER_PATH := $(CURDIR)/build/jupyter$(if $(JUPYTER_PATH),:$(JUPYTER_PATH))
# goimports and gonb built by setup.
export PATH := $(CURDIR)/build/bin:$(PATH)

GO ?= go
GO_TEST_TIMEOUT ?= 45m
NOTEBOOK_TEST_TIMEOUT ?= 60m
NOTEBOOK_PORT ?= 8888
VET := $(GO) vet ./...
VET_PLAIN := GOEXPERIMENT= $(GO) vet ./...
UNIT_TEST := $(GO) test -timeout $(GO_TEST_TIMEOUT) ./...
NOTEBOOK_TEST := FLOWKIT_NOTEBOOKS=1 FLOWKIT_QUICK=1 $(GO) test -timeout $(NOTEBOOK_TEST_TIMEOUT) -count=1 -v -run '^TestNotebooks$$' ./notebooks/

ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: all setup notebook test unit-test notebook-test bench fuzz fmt vet

all: test

## setup: Debian packages (Jupyter, chromium), GoNB + goimports, the gonb kernel, echarts.
setup:
	bash scripts/setup.sh

## notebook: starts Jupyter on http://127.0.0.1:$(NOTEBOOK_PORT) serving notebooks/.
notebook: setup
	@echo "Starting Jupyter on http://127.0.0.1:$(NOTEBOOK_PORT)/ (open the URL with the token it prints below; Ctrl+C stops it)"
	$(JUPYTER) notebook --no-browser --ip=127.0.0.1 --port=$(NOTEBOOK_PORT) --notebook-dir=notebooks $(ALLOW_ROOT)

## test: vet, unit tests, then every notebook executed (FLOWKIT_QUICK=1) and checked in chromium.
# (Steps run in this order even under make -j.)
test: setup
	$(VET)
	$(VET_PLAIN)
	$(UNIT_TEST)
	$(NOTEBOOK_TEST)

## unit-test: go test ./... (the notebook harness skips itself here unless FLOWKIT_NOTEBOOKS=1).
unit-test:
	$(UNIT_TEST)

## notebook-test: executes notebooks/*.ipynb in order with FLOWKIT_QUICK=1, renders them to
## build/notebooks/*.html and checks the charts draw in headless chromium.
notebook-test: setup
	$(NOTEBOOK_TEST)

## bench: the performance suite (issue 12's configurations, one process each, a Markdown table
## appended to build/bench/results.jsonl), then every Go benchmark.
bench:
	$(GO) run ./cmd/flowbench -quality 2000
	$(GO) test -run '^$$' -bench . -benchmem ./...

## fuzz: every fuzz target for FUZZTIME each (default 5m); make test runs their seed corpora.
fuzz:
	bash scripts/fuzz.sh

fmt:
	$(GO) fmt ./...

## vet: go vet with GOEXPERIMENT=simd and without it (the plain build must keep compiling).
vet:
	$(VET)
	$(VET_PLAIN)
