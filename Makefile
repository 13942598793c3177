# Everything a fresh Debian machine needs, installed on first use.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test soak bench bench-copy bench-copy-postgres lint sysdeps venv clean

demo: sysdeps venv
	$(BIN)/vipcontract demo --out demo-out

# The suite includes a short crash test: every step of issue, amend, pay and notice send killed
# once, and a few random kills of the soak below. worksteal: a worker that runs out of tests takes
# the other's, so that a few long ones (the README run, the crash tests) do not leave one idle.
test: sysdeps venv
	$(BIN)/python -m pytest -n 2 --dist worksteal -q

# The long crash test: SOAK random SIGKILLs across issue, amend, pay and notice send, the register's
# promises checked after each (tests/test_crash_write_path.py). About a second per kill.
SOAK ?= 200
soak: venv
	VIPCONTRACT_SOAK=$(SOAK) $(BIN)/python -m pytest -q tests/test_crash_write_path.py -k soak

bench: sysdeps venv
	$(BIN)/python bench/run.py

# Documents kept with the register and `db copy`, against plain writes and appends in the same run.
bench-copy: venv
	$(BIN)/python bench/bench_copy.py

# `db copy` of the same register into PostgreSQL (a throw-away cluster), against the embedded copy.
bench-copy-postgres: sysdeps venv
	$(BIN)/python bench/bench_copy.py --postgres

lint: venv
	$(BIN)/ruff check .
	$(BIN)/mypy

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $@

# System packages: the CJK font with a real Bold, HarfBuzz's subsetter (without it
# WeasyPrint falls back to a subsetter ten times slower), Pango for WeasyPrint's layout,
# poppler's pdftoppm/pdftotext, LibreOffice Writer (the tests lay the DOCX out with it
# and compare it with the PDF), and PostgreSQL's server (the tests start a throw-away cluster
# of their own: tests/pg.py).
sysdeps:
	@missing=""; \
	fc-list 2>/dev/null | grep -q "Noto Serif CJK SC" || missing="$$missing fonts-noto-cjk"; \
	ldconfig -p 2>/dev/null | grep -q "libharfbuzz-subset.so.0" || missing="$$missing libharfbuzz-subset0"; \
	ldconfig -p 2>/dev/null | grep -q "libpangoft2-1.0.so.0" || missing="$$missing libpango-1.0-0 libpangoft2-1.0-0"; \
	command -v pdftoppm >/dev/null || missing="$$missing poppler-utils"; \
	command -v soffice >/dev/null || missing="$$missing libreoffice-writer-nogui"; \
	ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || command -v pg_ctl >/dev/null || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "安装系统软件包:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "缺少系统软件包，请先执行: sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

clean:
	rm -rf $(VENV) demo-out build *.egg-info
