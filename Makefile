# nntheory — set-up, build, demo, tests and benchmarks on a fresh Debian machine.
SHELL := /bin/bash
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := libopenblas-dev liblapacke-dev libfftw3-dev zlib1g-dev
OUT ?= results

.PHONY: deps pydeps mpideps buildinfo build static mpi install uninstall demo test mpi-test python-test notebooks bench compare fuzz clean

## deps: install the system libraries the build links (OpenBLAS, LAPACKE, FFTW3, zlib) when missing.
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

## pydeps: the Python modules the tests use — numpy (needed), matplotlib, pytest, nbclient, nbformat, ipykernel (the
## companion's tests and the notebooks; skipped with a warning when they cannot be had), wheel and ensurepip (the
## companion's install into a venv). A Python that takes pip gets each missing module by pip on its own (one that
## fails does not hold back the others); a system Python that refuses pip (Debian's and Ubuntu's: PEP 668, or no
## pip or ensurepip) gets Debian's python3-* packages.
PY_MODULES := numpy matplotlib pytest nbclient nbformat ipykernel wheel ensurepip
PIP_OK := python3 -m pip --version >/dev/null 2>&1 && python3 -c "import ensurepip, os, sys, sysconfig; \
  sys.exit(os.path.exists(os.path.join(sysconfig.get_path('stdlib'), 'EXTERNALLY-MANAGED')))" 2>/dev/null
pydeps:
	@missing=""; for m in $(PY_MODULES); do python3 -c "import $$m" 2>/dev/null || missing="$$missing $$m"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Python modules:$$missing"; \
	  if $(PIP_OK); then \
	    for m in $$missing; do python3 -m pip install --quiet $$m || echo "warning: pip could not install $$m"; done; \
	  elif command -v apt-get >/dev/null; then \
	    $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
	      $$(for m in $$missing; do echo python3-$$m; done | sed 's/python3-ensurepip/python3-venv/') \
	    || echo "warning: apt-get could not install the python3- packages of$$missing"; \
	  else echo "warning: no pip and no apt-get to install$$missing"; fi; \
	fi
	@python3 -c "import numpy" || { echo "error: the tests need numpy (python3 -m pip install numpy, or apt-get install python3-numpy)"; exit 1; }

## buildinfo: (run by build, static, mpi) BuildInfoPlugin writes BuildInfo.swift — the git commit every summary records
## — before each build, but an incremental build can compile the copy it finds first, naming the previous commit when
## only the git state changed. Copies that name another commit than the checkout's are removed, so that the plugin
## writes them afresh and the target recompiles (a fresh clone, as CI's, is not affected).
buildinfo:
	@c=$$(git rev-parse HEAD 2>/dev/null) || c=unknown; [ -n "$$c" ] || c=unknown; \
	if [ "$$c" != unknown ] && [ -n "$$(git status --porcelain --untracked-files=no 2>/dev/null | head -c 1)" ]; then c="$$c-dirty"; fi; \
	for f in $$(find .build .build-static .build-mpi -path '*BuildInfoPlugin*' -name BuildInfo.swift 2>/dev/null); do \
	  grep -q "\"$$c\"" "$$f" || rm -f "$$f"; \
	done

## mpideps: Open MPI (library, headers, mpirun) for the optional MPI build, when missing.
MPI_PACKAGES := libopenmpi-dev openmpi-bin
mpideps:
	@missing=""; for p in $(MPI_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

## mpi: the MPI build (SwiftPM trait MPI) in .build-mpi/release/nntheory: `mpirun -np K .build-mpi/release/nntheory
## correlators|cy sample|cy sigma|cy donaldson …` splits the work across K ranks (docs/cluster.md).
mpi: deps mpideps buildinfo
	swift build -c release --product nntheory --traits MPI --scratch-path .build-mpi

## mpi-test: the MPI build (debug) under mpirun -np 1…4 against its single-process run: the same bits for every K,
## a failing rank ends the job with one line, a killed rank's job resumes from the collective checkpoint.
mpi-test: deps mpideps
	swift build --product nntheory --traits MPI --scratch-path .build-mpi
	Tests/mpi/run.sh .build-mpi/debug/nntheory

## build: release build of the nntheory command.
build: deps buildinfo
	swift build -c release --product nntheory

## static: the release build that `install` installs, in .build-static/release/nntheory: the Swift runtime linked in
## and, where their static archives are installed (Debian's -dev packages ship them), OpenBLAS, LAPACKE and FFTW
## too — no 36-MB shared library to map and relocate at every start (≈ 3.5 ms sooner; BENCHMARKS.md). Without the
## archives it links those three as shared libraries, as `build` does.
STATIC_ARCHIVES := .build-static/archives
static: deps buildinfo
	@mkdir -p $(STATIC_ARCHIVES); rm -f $(STATIC_ARCHIVES)/*.a; found=""; \
	for l in openblas lapacke fftw3; do \
	  for d in /usr/lib/$$(uname -m)-linux-gnu /usr/lib64 /usr/lib; do \
	    if [ -f $$d/lib$$l.a ]; then ln -sf $$(readlink -f $$d/lib$$l.a) $(STATIC_ARCHIVES)/lib$$l.a; found="$$found $$l"; break; fi; \
	  done; \
	done; \
	if [ "$$found" = " openblas lapacke fftw3" ]; then \
	  swift build -c release --product nntheory --static-swift-stdlib --scratch-path .build-static \
	    -Xlinker -L$(CURDIR)/$(STATIC_ARCHIVES) -Xlinker -lgfortran; \
	else \
	  echo "note: static archives of OpenBLAS, LAPACKE, FFTW not all found (found:$${found:- none}); linking them as shared libraries"; \
	  rm -f $(STATIC_ARCHIVES)/*.a; \
	  swift build -c release --product nntheory --static-swift-stdlib --scratch-path .build-static; \
	fi

## install: the `static` build (the Swift runtime, and OpenBLAS, LAPACKE, FFTW where their archives are installed,
## linked in: the installed command needs only
## Debian's libraries, not the toolchain it was built with, which swiftly may move or remove; it also starts
## ≈ 7 ms sooner) into $(PREFIX)/bin, its man pages (one per command, from swift-argument-parser's generate-manual
## plugin) into $(PREFIX)/share/man/man1, and bash, zsh and fish completions. PREFIX=~/.local by default (on the
## PATH of most desktop distributions); PREFIX=/usr/local needs root.
PREFIX ?= $(HOME)/.local
MANDIR := .build/plugins/GenerateManual/outputs/nntheory
install: static
	swift package generate-manual --multi-page
	install -d $(PREFIX)/bin $(PREFIX)/share/man/man1 $(PREFIX)/share/bash-completion/completions \
	  $(PREFIX)/share/zsh/site-functions $(PREFIX)/share/fish/vendor_completions.d
	install -m 755 .build-static/release/nntheory $(PREFIX)/bin/nntheory
	install -m 644 $(MANDIR)/*.1 $(PREFIX)/share/man/man1/
	$(PREFIX)/bin/nntheory --generate-completion-script bash > $(PREFIX)/share/bash-completion/completions/nntheory
	$(PREFIX)/bin/nntheory --generate-completion-script zsh > $(PREFIX)/share/zsh/site-functions/_nntheory
	$(PREFIX)/bin/nntheory --generate-completion-script fish > $(PREFIX)/share/fish/vendor_completions.d/nntheory.fish
	@case ":$$PATH:" in *":$(PREFIX)/bin:"*) ;; *) echo "note: $(PREFIX)/bin is not on PATH; add it: export PATH=\"$(PREFIX)/bin:\$$PATH\"";; esac
	@$(PREFIX)/bin/nntheory --version

## uninstall: removes what install put under $(PREFIX).
uninstall:
	rm -f $(PREFIX)/bin/nntheory $(PREFIX)/share/man/man1/nntheory*.1 $(PREFIX)/share/bash-completion/completions/nntheory \
	  $(PREFIX)/share/zsh/site-functions/_nntheory $(PREFIX)/share/fish/vendor_completions.d/nntheory.fish

## demo: the toolkit's tour on built-in defaults, written to $(OUT)/ (replacing an earlier demo there).
demo: build
	.build/release/nntheory demo --out $(OUT) --force

## test: the test suite (unit, Monte Carlo against exact values, CLI), then the Python companion's, installed with
## pip, against real outputs of the command line.
test: deps pydeps
	swift build --build-tests
	swift test --skip-build
	$(MAKE) mpi-test
	$(MAKE) python-test
	$(MAKE) notebooks

## notebooks: runs every notebook in examples/ top to bottom (each ends in a figure and a number checked against
## the docs), with the debug build.
notebooks: pydeps
	NNTHEORY_BIN=$(CURDIR)/.build/debug/nntheory PYTHONPATH=$(CURDIR)/python python3 examples/run_notebooks.py

## python-test: installs the Python companion (python/) with pip into a fresh virtual environment that sees the
## system's numpy, matplotlib and pytest (.build/pyvenv; a system Python may refuse pip, PEP 668) and runs its tests
## against the debug build's outputs.
PYVENV := .build/pyvenv
python-test: pydeps
	rm -rf $(PYVENV) && python3 -m venv --system-site-packages $(PYVENV)
	$(PYVENV)/bin/python -m pip install --quiet --no-build-isolation --no-deps ./python \
	  || $(PYVENV)/bin/python -m pip install --quiet --no-deps ./python
	NNTHEORY_BIN=$(CURDIR)/.build/debug/nntheory $(PYVENV)/bin/python -m pytest -q python/tests

## bench: ensemble throughput against the numpy reference (see BENCHMARKS.md).
bench: build
	bash Benchmarks/ensemble_throughput.sh

## compare: every headline path side by side with its peer (numpy, neural-tangents, cyjax with CYJAX_SRC=checkout),
## the peers installed into throw-away virtual environments; prints one Markdown table of ratios (BENCHMARKS.md).
compare: build
	bash Benchmarks/compare.sh

## fuzz: the whole command line under bad and extreme input (docs/errors.md): a table of outcome counts;
## fails on any crash, hang, silent NaN or multi-line error. RUNS=… TIMEOUT=… set the size.
RUNS ?= 600
TIMEOUT ?= 30
fuzz: build
	python3 Fuzz/cli_matrix.py --bin .build/release/nntheory --runs $(RUNS) --timeout $(TIMEOUT)

clean:
	rm -rf .build $(OUT)
