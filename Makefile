# scow: the two commands for a fresh Debian machine are `make demo` and `make test`.
# Both set everything up first (apt packages, then .venv with scow editable and the test tools).

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
APT_PACKAGES := runc busybox-static btrfs-progs zfs-fuse docker-registry skopeo umoci attr e2fsprogs \
                golang-github-docker-docker-dev golang-go \
                util-linux iproute2 tar gzip zstd apache2-utils openssl gcc libc6-dev \
                netavark aardvark-dns iptables curl \
                tini mmdebstrap
APT_PACKAGES += docker-compose  # issue 16: compose 1.29 against scow system service
APT_PACKAGES += openssh-client  # issue 17: build --ssh KEYFILE (ssh-agent, ssh-add, ssh-keygen)
STAMP := $(VENV)/.installed

.PHONY: install apt demo demo-docker demo-library test test-full bench dockerpy-suite lint docs clean

install: $(STAMP)

apt:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

$(STAMP): pyproject.toml scripts/write_launcher.py
	@$(MAKE) --no-print-directory apt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,tui,daemon]'
	$(BIN)/python -m compileall -q src/scow   # an editable install compiles nothing itself
	$(BIN)/python scripts/write_launcher.py $(VENV) src   # `scow` as python -I -S (start-up)
	touch $(STAMP)

demo: install
	bash demo/walkthrough.sh
	bash demo/walkthrough-zfs.sh
	@if command -v docker >/dev/null; then bash demo/walkthrough-docker.sh; \
	else echo "no docker CLI on PATH: the walkthrough through the Engine API is skipped"; fi

demo-docker: install   # the walkthrough with the docker CLI against scow system service
	bash demo/walkthrough-docker.sh

demo-library: install   # the same walkthrough as a Python program against scow.Engine alone
	$(BIN)/python demo/walkthrough.py

test: install
	$(BIN)/pytest -q -n 2 -m 'not full'

test-full: install   # the acceptance runs at their full counts (cp race 1,000 copies, ...)
	$(BIN)/pytest -q -m full

bench: install
	$(BIN)/python -m bench

# docker-py's own integration tests against `scow system service` (DOCKERD=1: against a
# dockerd of ours); DOCKER_PY is a docker-py 7.2.0 source tree (docs/api.md says how to get it)
dockerpy-suite: install
	$(BIN)/pip install -q paramiko pytest-timeout websocket-client
	$(BIN)/python -m bench.dockerpy_suite $(DOCKER_PY) $(if $(DOCKERD),--dockerd)

docs: install   # the library's reference from the docstrings, into build/docs (docs/reference.py)
	$(BIN)/python docs/reference.py build/docs

lint: install
	$(BIN)/ruff check src tests demo docs
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache
