# The two commands of the README: `make demo` and `make test`. Each installs what it needs.
VENV   := .venv
PY     := $(VENV)/bin/python
VOC    := $(VENV)/bin/voc
STAMP  := $(VENV)/.voc-installed
DEMO   := demo/out
WS     := $(DEMO)/workspace
PYTEST_ARGS ?=

BUNDLE ?= dist/voc-bundle
# the model manifest, wherever it lives in this checkout
MANIFEST := $(wildcard models/manifest.toml voc/data/manifest.toml)

.PHONY: install test test-fast lint demo bench lock bundle install-offline clean

install: $(STAMP)

# the dev install: requirements/test.lock (hash-checked), voc editable, the default ASR model
$(STAMP): pyproject.toml requirements/test.lock scripts/install.sh $(MANIFEST)
	bash scripts/install.sh
	@touch $(STAMP)

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

test-fast: install
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .

# regenerate requirements/runtime.lock and requirements/test.lock from pyproject.toml (pip-compile
# --generate-hashes); LOCK_ARGS=--upgrade moves every pin to the newest allowed version
lock:
	bash scripts/lock.sh

# make bundle [BUNDLE=dir]  everything an air-gapped machine needs, in one folder: the wheels of
#                           requirements/runtime.lock and of voc, the installed models, the lock,
#                           install.sh and SHA256SUMS (BUNDLE_TAR=1: and dir.tar beside it)
bundle: install
	bash scripts/bundle.sh $(BUNDLE)

# make install-offline BUNDLE=dir   check the bundle's SHA256SUMS, then install voc from it into
#                                   $(VENV) with no package index at all, copy and verify the models
#                                   (voc as a wheel, without the test extra: make install redoes the dev set-up)
install-offline:
	bash $(BUNDLE)/install.sh --venv $(VENV)
	@rm -f $(STAMP)

# make demo            the whole pipeline over the generated demo set of banking calls:
#                      generate -> analyze -> inspect -> topics -> export -> report; prints
#                      the path of the dashboard's index.html
# make demo AUDIO=DIR  and transcribe, analyse and inspect the recordings in DIR as well
demo: install
	@rm -rf $(DEMO)
	$(VOC) demo generate --out $(DEMO) --workspace $(WS)
	$(VOC) analyze $(DEMO)/transcripts.jsonl --out $(DEMO)/analysis.jsonl --workspace $(WS)
	$(VOC) inspect $(DEMO)/transcripts.jsonl --out $(DEMO)/findings.jsonl --workspace $(WS)
ifdef AUDIO
	$(VOC) transcribe $(AUDIO) --out $(DEMO)/recordings.jsonl --workspace $(WS)
	$(VOC) analyze $(DEMO)/recordings.jsonl --workspace $(WS)
	$(VOC) inspect $(DEMO)/recordings.jsonl --workspace $(WS)
endif
	$(VOC) topics $(DEMO)/transcripts.jsonl --out $(DEMO)/topics --workspace $(WS) \
	  || echo "demo: voc topics failed; the dashboard's Topics page says no topics were computed"
	$(VOC) export --workspace $(WS) --out $(DEMO)/exports
	$(VOC) report --workspace $(WS) --out $(DEMO)/dashboard
	@echo "demo: workspace $(WS), audit exports in $(DEMO)/exports; the dashboard:"
	@echo "$(abspath $(DEMO))/dashboard/index.html"

bench: install
	$(PY) scripts/bench_asr.py

clean:
	rm -rf $(DEMO) .pytest_cache test-artifacts
