"""`build --pull` as docker's: every base image is pulled again even when the store has it
(a newer one replaces the local tag's image for the build), and without a reachable registry
the build fails at its FROM line (a local registry on loopback; real runc, overlay2)."""

from __future__ import annotations

from typing import Any

import pytest
from tests.integration.build.test_build_steps import _read
from tests.integration.conftest import free_port

from scow.errors import ScowError

pytestmark = pytest.mark.parametrize("engine", ["overlay2"], indirect=True)


def test_pull_takes_the_registrys_image(built: Any, registry_plain: Any) -> None:
    engine, _, build = built
    ref = f"{registry_plain.domain}/base:1"
    build("FROM busybox:base\nRUN echo remote > /which\n", tags=(ref,))
    engine.distribution.push(ref)
    build("FROM busybox:base\nRUN echo local > /which\n", tags=(ref,))  # the store's is newer
    text = f"FROM {ref}\nRUN cat /which > /seen\n"
    build(text, tags=("nopull:1",))
    assert _read(engine, "nopull:1", "/seen") == b"local\n"
    build(text, tags=("pull:1",), pull=True)
    assert _read(engine, "pull:1", "/seen") == b"remote\n"


def test_pull_without_a_registry_fails(built: Any) -> None:
    engine, _, build = built
    ref = f"127.0.0.1:{free_port()}/base:1"  # nothing listens there
    engine.images.tag("busybox:base", ref)
    build(f"FROM {ref}\nRUN true\n")  # the store has it
    with pytest.raises(ScowError) as failed:
        build(f"FROM {ref}\nRUN true\n", pull=True)
    assert str(failed.value).startswith("Dockerfile:1: ")
    assert "\n" not in str(failed.value)
