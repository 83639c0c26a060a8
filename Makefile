# Two entry points: `make all` (the whole workflow) and `make test`.
# Both create .venv from requirements.txt + constraints.txt on first use.
# Every setting lives in project.yml; these targets only call weasel with the
# variables given on the command line (all optional):
#   CORPUS=<key of vars.corpora>   MODELS="cnn bilstm scibert"   GPU=auto|<id>|-1
#   TRANSFORMER=scibert|standin|<HF name or folder>   STEPS=<n>   SEED=<n>   TRAIN_OVERRIDES="a.b=1 ..."
#   make test: TEST_WORKERS=<n> (default 2)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
WEASEL = PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/weasel
MODELS ?= cnn bilstm scibert
BENCH_CORPORA ?= jnlpba bc5cdr
BENCH_MODELS ?= spacy_default cnn bilstm
# make test: pytest workers (pytest-xdist; CI has 2 cores)
TEST_WORKERS ?= 2
VARS = $(if $(CORPUS),--vars.corpus $(CORPUS)) $(if $(GPU),--vars.gpu $(GPU)) \
	$(if $(TRANSFORMER),--vars.transformer $(TRANSFORMER)) $(if $(STEPS),--vars.max_steps $(STEPS)) $(if $(SEED),--vars.seed $(SEED)) \
	$(if $(TRAIN_OVERRIDES),--vars.train_overrides="$(TRAIN_OVERRIDES)")

# make puts these in the environment of every recipe; check-settings reads
# them there, so no value is pasted into a shell line before it is checked.
export CORPUS MODELS GPU TRANSFORMER STEPS SEED TRAIN_OVERRIDES BENCH_CORPORA BENCH_MODELS
# read by pytest-xdist's `-n auto` from the environment, never pasted into a shell line
export PYTEST_XDIST_AUTO_NUM_WORKERS = $(TEST_WORKERS)
# bioner/ and benchmarks/ are the steps' code dependencies: no .pyc may appear in them
export PYTHONDONTWRITEBYTECODE = 1

.PHONY: all test install install-chromium clean benchmark check-settings

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt constraints.txt
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] < (3, 9) and "Python >= 3.9 needed")'
	@# an existing venv is updated, never re-created: `python3 -m venv` over a venv made by
	@# another Python rewrites its pyvenv.cfg and breaks every installed C extension
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements.txt -c constraints.txt
	touch $@

check-settings: install
	@$(BIN)/python -m scripts.check_settings

# a corpus whose entry has `concepts` runs the workflow all-linked (the concept linker added)
all: check-settings
	@workflow="$$($(BIN)/python -m scripts.check_settings --workflow)" || exit 1; set -- $$workflow; name=$$1; shift; \
	for model in $(MODELS); do $(WEASEL) run $$name . $(VARS) "$$@" --vars.model $$model || exit 1; done

# Benchmark: spaCy's default NER, the CNN and the BiLSTM on both corpora
# (trained and evaluated unless up to date), then results/results.md.
benchmark: check-settings
	@for corpus in $(BENCH_CORPORA); do for model in $(BENCH_MODELS); do \
		$(WEASEL) run train-evaluate . $(VARS) --vars.corpus $$corpus --vars.model $$model || exit 1; \
	done; done
	$(WEASEL) run benchmark .

# The browser test drives Debian's chromium (playwright cannot download its own
# offline); installed when missing and apt-get is there, never failing the build.
install-chromium:
	@command -v chromium >/dev/null || (command -v apt-get >/dev/null && apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium) || true

test: install install-chromium
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python -m pytest -n auto tests

clean:
	rm -rf corpus training metrics packages project.lock
