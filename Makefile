# ClaudIA — every command a developer or CI needs. See README.md.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
MODEL := models/claudia.tar.gz
AXE := node_modules/axe-core/axe.min.js
RASA_DATA := config.yml domain.yml $(wildcard data/*/*.yml) $(wildcard components/*.py)
export PYTHONPATH := $(CURDIR)
export TF_CPP_MIN_LOG_LEVEL ?= 2
export RASA_TELEMETRY_ENABLED ?= false

.PHONY: setup train run demo-data demo-reset validate test test-unit test-stories test-e2e bench review-bench nlu-eval nlu-variants fuzz run-scaled clean

setup: $(VENV)/.claudia-installed

$(VENV)/.claudia-installed: requirements.txt constraints.txt scripts/setup.sh
	bash scripts/setup.sh

train: $(MODEL)

$(MODEL): $(VENV)/.claudia-installed $(RASA_DATA)
	$(RASA) train --config config.yml --domain domain.yml --data data --fixed-model-name claudia --out models

demo-data: setup
	$(PY) -m claudia.admin load --if-empty demo/registry.yml
	$(PY) -m claudia.admin operators --if-empty demo/operators.yml

demo-reset: setup
	$(PY) -m claudia.admin load demo/registry.yml
	$(PY) -m claudia.admin operators demo/operators.yml

## axe-core for the browser tests' accessibility checks (npm, pinned by package-lock.json).
$(AXE): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

## Sets up, trains if needed, loads the demo registry on first run, starts every server under
## supervisord (restarted if one crashes) in the foreground; Ctrl-C stops them all.
run: setup train demo-data
	bash serving/run.sh

validate: setup
	$(RASA) data validate --config config.yml --domain domain.yml --data data --fail-on-warnings

test-unit: setup
	$(PY) -m pytest -q tests --ignore=tests/e2e

test-stories: validate train
	$(RASA) test core --model $(MODEL) --stories tests/stories --fail-on-prediction-errors --out results/stories

## Intent accuracy per intent and confusion counts on the held-out messages (tests/nlu_heldout/,
## never trained on); the misclassified texts go to results/nlu-eval/errors.txt only.
nlu-eval: setup train
	$(PY) tests/nlu_heldout/evaluate.py --model $(MODEL)

## Regenerates data/nlu/variantes.yml (typo and SMS variants of the training examples).
nlu-variants: setup
	$(PY) -m scripts.nlu_variants

test-e2e: setup train $(AXE)
	$(PY) -m pytest -q tests/e2e

## Everything CI checks: data validation, training, story tests, unit, end-to-end, browser
## and scaled tests (the last start PostgreSQL and Redis through scripts/test_services.sh).
test: validate train $(AXE)
	$(RASA) test core --model $(MODEL) --stories tests/stories --fail-on-prediction-errors --out results/stories
	bash scripts/test_services.sh
	$(PY) -m pytest -q tests

## Several Rasa and action servers sharing PostgreSQL and Redis (see docs/scaling.md).
run-scaled: setup train
	bash serving/run_scaled.sh

## The full fuzz run (1,500 seeded adversarial requests; a few hundred run in make test).
fuzz: setup train
	FUZZ_COUNT=1500 $(PY) -m pytest -q tests/e2e/test_fuzz.py

## Side-by-side benchmark with a stock `rasa init` assistant (about 25 minutes); writes bench/results.md.
## Parts alone: make bench BENCH=length (or load, nlu, soak, metrics; comma-separated), written to results/.
BENCH ?=
bench: setup
	$(PY) -m bench.run_bench $(if $(BENCH),--only $(BENCH))

## The review pages on 100,000 synthetic conversations (about 1.3 million events): generates them
## straight into var/review-bench/ (once), indexes, times every page and export; writes bench/review.md.
review-bench: setup
	$(PY) -m bench.review_bench --conversations $${REVIEW_BENCH_CONVERSATIONS:-100000}

clean:
	rm -rf models results var .pytest_cache
