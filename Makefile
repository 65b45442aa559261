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
