# hacluster.drbd: developer and CI entry points.  `make help` lists them.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BIN := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(PATH)
# Molecule looks in extensions/molecule/ inside a collection; ours live here.
export MOLECULE_GLOB := molecule/*/molecule.yml
export ANSIBLE_FORCE_COLOR ?= 0
export PY_COLORS ?= 0

LAB := $(BIN)/python tests/lab/lab.py
# A copy of the tracked tree at ansible_collections/hacluster/drbd, which is
# where ansible-test and the unit tests' imports expect a collection to be.
# Outside the checkout: inside it, ansible-test would list files through git
# and find the copy ignored.
TREE_ROOT ?= $(HOME)/.cache/hacluster-drbd/tree-$(shell printf %s "$(CURDIR)" | md5sum | cut -c1-8)
TREE := $(TREE_ROOT)/ansible_collections/hacluster/drbd
# Scenarios still under construction, kept out of `make test` until a whole
# `molecule test` of them has passed on a clean lab.
SCENARIOS_WIP :=
SCENARIOS ?= $(filter-out $(SCENARIOS_WIP),$(sort $(patsubst molecule/%/molecule.yml,%,$(wildcard molecule/*/molecule.yml))))
# Host packages the lab and the checks need (Debian 12 names).
SYSTEM_PACKAGES := qemu-system-x86 qemu-utils mmdebstrap vde2 e2fsprogs apt-utils \
	openssh-client python3-venv git shellcheck \
	gcc libc6-dev make flex bison bc libelf-dev

.PHONY: help deps venv tree lint sanity units validation molecule test demo bench clean distclean

help:
	@echo "make test      lint, sanity, unit tests and every Molecule scenario (what CI runs)"
	@echo "make demo      boot lab VMs and run site.yml against them, then tear them down"
	@echo "make bench     print lab and topology figures"
	@echo "make deps      install the host packages the lab needs (as root)"
	@echo "make venv      install the pinned Python tool chain into $(VENV)"
	@echo "make lint | sanity | units | validation | molecule [SCENARIOS='lab ...']"
	@echo "make clean     stop every lab VM, remove build output; distclean also the venv"

deps:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg-query -W -f='$${db:Status-Status}\n' $$p 2>/dev/null | grep -qx installed || echo $$p; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
		echo "installing host packages: $$missing"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	else \
		echo "missing host packages; run as root: apt-get install $$missing" >&2; exit 1; \
	fi

$(VENV)/.stamp: requirements.txt constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.txt -c constraints.txt
	touch $@

venv: $(VENV)/.stamp

tree: venv
	rm -rf $(TREE) && mkdir -p $(TREE)
	git ls-files -z --cached --others --exclude-standard | \
		while IFS= read -r -d '' f; do [ -e "$$f" ] && printf '%s\0' "$$f"; done | \
		tar --null -T - -cf - | tar -xf - -C $(TREE)

lint: venv
	ansible-lint --profile production --strict
	antsibull-changelog lint
	$(BIN)/python -m compileall -q plugins tests

# ansible-test's own --venv mode bootstraps pip from a host that is not a
# package registry; a venv of its own with --requirements needs only PyPI.
SANITY_VENV := $(VENV)-sanity
$(SANITY_VENV)/.stamp: constraints.txt
	$(PYTHON) -m venv $(SANITY_VENV)
	$(SANITY_VENV)/bin/pip install -q --upgrade pip
	$(SANITY_VENV)/bin/pip install -q "$$(grep '^ansible-core==' constraints.txt)"
	touch $@

sanity: tree $(SANITY_VENV)/.stamp
	pipv=$$($(SANITY_VENV)/bin/python -c "import re,ansible_test,pathlib; p=pathlib.Path(ansible_test.__file__).parent/'_internal/python_requirements.py'; print(re.search(r\"pip='([0-9.]+)'\", p.read_text()).group(1))"); \
		mkdir -p $(HOME)/.ansible/test/cache && \
		cp tests/sanity/tools/get_pip.py $(HOME)/.ansible/test/cache/get_pip_$${pipv//./_}.py
	cd $(TREE) && PATH=$(CURDIR)/$(SANITY_VENV)/bin:$$PATH \
		ansible-test sanity --local --requirements --python 3.11 --color no

units: tree
	cd $(TREE) && PYTHONPATH=$(TREE_ROOT) $(BIN)/python -m pytest -q -p no:cacheprovider -n auto tests/unit

# Bad input refused before any host is touched (ansible-playbook on local hosts).
validation: tree
	cd tests/validation && ANSIBLE_COLLECTIONS_PATH=$(TREE_ROOT) CHECK_PYTHON=$(BIN)/python \
		$(BIN)/python -m pytest -q -p no:cacheprovider -n auto test_bad_inputs.py

# Mitogen's strategy runs each task in a Python that stays up in the guest
# instead of starting one (and unpacking the module) per task: under software
# emulation that is most of a task's cost. MITOGEN=0 runs Ansible's own.
MITOGEN ?= 1
ifeq ($(MITOGEN),1)
export ANSIBLE_STRATEGY_PLUGINS = $(firstword $(wildcard $(CURDIR)/$(VENV)/lib/python3*/site-packages/ansible_mitogen/plugins/strategy))
export ANSIBLE_STRATEGY = mitogen_linear
endif

TIMING := $(BIN)/python tests/timing.py
# PROFILE=1: every playbook run prints its slowest tasks and appends them to
# tests/output/task-times.jsonl (tests/ansible/callback_plugins/task_times.py).
ifeq ($(PROFILE),1)
export ANSIBLE_CALLBACK_PLUGINS := $(CURDIR)/tests/ansible/callback_plugins
export ANSIBLE_CALLBACKS_ENABLED := task_times
export HACLUSTER_TASK_TIMES := $(CURDIR)/tests/output/task-times.jsonl
endif

# One lab at a time (two cores); whatever happens, no VM survives the target.
# Each scenario's test sequence runs one Molecule step at a time, timed.
molecule: venv deps
	@mkdir -p tests/output; trap '$(LAB) down --all >/dev/null' EXIT; \
	$(TIMING) molecule $(SCENARIOS)

# Seconds per step: printed at the end (also when a step fails) and written
# to tests/output/make-test-times.json.
# lint (one core, in the working tree) runs beside sanity (mostly one core,
# in the tree copy): 104 s for both instead of about 185 one after the other
# on a slow 2-core machine. Its output follows sanity's.
test: venv
	@$(TIMING) reset; trap '$(TIMING) report' EXIT; rc=0; mkdir -p tests/output; \
	$(TIMING) step lint -- $(MAKE) --no-print-directory lint > tests/output/lint.log 2>&1 & lint=$$!; \
	$(TIMING) step sanity -- $(MAKE) --no-print-directory sanity || rc=1; \
	wait $$lint || rc=1; cat tests/output/lint.log; \
	for t in units validation; do \
		$(TIMING) step $$t -- $(MAKE) --no-print-directory $$t || rc=1; \
	done; \
	[ $$rc = 0 ] && $(MAKE) --no-print-directory molecule || rc=1; \
	exit $$rc

# KEEP=1 leaves the cluster running and prints how to tear it down.
demo: venv deps tree
	ANSIBLE_COLLECTIONS_PATH=$(TREE_ROOT) $(BIN)/python tests/lab/demo.py $(if $(filter 1,$(KEEP)),--keep)

bench: venv deps tree
	HACLUSTER_TREE_ROOT=$(TREE_ROOT) $(BIN)/python tests/bench/bench.py

clean:
	-[ -x $(BIN)/python ] && $(LAB) down --all || $(PYTHON) tests/lab/lab.py down --all
	rm -rf $(TREE_ROOT) tests/output hacluster-drbd-*.tar.gz

distclean: clean
	rm -rf $(VENV) $(SANITY_VENV)
