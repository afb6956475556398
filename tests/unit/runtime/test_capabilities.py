"""docker's capability rules (moby's oci/caps TweakCapabilities)."""

from __future__ import annotations

import pytest

from scow.errors import InvalidArgument
from scow.runtime.capabilities import DEFAULT_CAPS, all_caps, container_caps, normalize


def test_defaults_drop_then_add() -> None:
    assert container_caps([], []) == list(DEFAULT_CAPS)
    caps = container_caps(["sys_admin", "CAP_NET_ADMIN", "Sys_Admin"], ["mknod", "CAP_KILL"])
    assert caps == [c for c in DEFAULT_CAPS if c not in ("CAP_MKNOD", "CAP_KILL")] + [
        "CAP_SYS_ADMIN", "CAP_NET_ADMIN"]


def test_all() -> None:
    assert container_caps([], ["ALL"]) == []
    assert container_caps(["chown", "KILL"], ["all"]) == ["CAP_CHOWN", "CAP_KILL"]
    assert container_caps(["ALL"], ["SYS_ADMIN"]) == [c for c in all_caps()
                                                      if c != "CAP_SYS_ADMIN"]
    assert container_caps(["ALL"], []) == all_caps() == container_caps(
        [], ["ALL"], privileged=True)
    assert "CAP_SYS_ADMIN" in all_caps() and "CAP_CHOWN" in all_caps()


def test_unknown_capability_is_refused() -> None:
    with pytest.raises(InvalidArgument, match="invalid CapAdd: unknown capability: 'CAP_FOO'"):
        normalize(["foo"], "CapAdd")
