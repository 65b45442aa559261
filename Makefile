# The two commands of the README: `make demo` and `make test`. Each installs what it needs.
VENV   := .venv
PY     := $(VENV)/bin/python
VOC    := $(VENV)/bin/voc
STAMP  := $(VENV)/.voc-installed
DEMO   := demo/out
WS     := $(DEMO)/workspace
PYTEST_ARGS ?=

.PHONY: install test test-fast demo bench clean

install: $(STAMP)

$(STAMP): pyproject.toml scripts/install.sh models/manifest.toml
	bash scripts/install.sh
	@touch $(STAMP)

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

test-fast: install
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

# make demo            the generated demo set of banking calls into a workspace
# make demo AUDIO=DIR  and transcribe the recordings in DIR as well
demo: install
	@rm -rf $(DEMO)
	$(VOC) demo generate --out $(DEMO) --workspace $(WS)
ifdef AUDIO
	$(VOC) transcribe $(AUDIO) --out $(DEMO)/recordings.jsonl --workspace $(WS)
endif
	@echo "demo: transcripts in $(DEMO)/transcripts.jsonl, workspace in $(WS)"

bench: install
	$(PY) scripts/bench_asr.py

clean:
	rm -rf $(DEMO) .pytest_cache test-artifacts
