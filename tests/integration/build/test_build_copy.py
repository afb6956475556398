"""COPY/ADD as BuildKit does them, on the real store (overlay2) with real runc: the folder
``--chown`` creates, hard links kept, ``--exclude``, ``--parents``, ``--link`` and
``ADD --checksum``. Where Debian's docker 20.10 frontend lacks a feature, the expected values
are BuildKit's documented results (docs.docker.com Dockerfile reference)."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.parametrize("engine", ["overlay2"], indirect=True)


def _run_out(build: Any, engine: Any, dockerfile: str, tag: str) -> str:
    """Build `dockerfile` (its last RUN writes /out) and read /out of the image."""
    from tests.integration.build.test_build_steps import _read

    build(dockerfile, tags=(tag,))
    return _read(engine, tag, "/out").decode()


def test_copy_chown_owns_the_folder_it_creates(built: Any) -> None:
    engine, ctx, build = built
    (ctx / "conf").mkdir()
    (ctx / "conf" / "app.conf").write_text("x\n")
    text = ("FROM busybox:base\nCOPY --chown=nobody:nogroup conf/ /etc/myapp/\n"
            "COPY --chown=nobody conf/ /srv/a/b/\n"
            "RUN stat -c '%n %u:%g' /etc/myapp /etc/myapp/app.conf /srv/a /srv/a/b > /out\n")
    out = _run_out(build, engine, text, "chown:1")
    # BuildKit: the destination folder COPY creates gets the --chown owner, and so do the
    # parents it creates on the way (fileop mkdir -p with the chown user)
    assert out.splitlines() == ["/etc/myapp 65534:65534", "/etc/myapp/app.conf 65534:65534",
                                "/srv/a 65534:65534", "/srv/a/b 65534:65534"]


def test_hard_links_stay_hard_links(built: Any) -> None:
    engine, ctx, build = built
    (ctx / "d").mkdir()
    (ctx / "d" / "one").write_text("same content\n")
    (ctx / "d" / "two").hardlink_to(ctx / "d" / "one")
    (ctx / "d" / "sub").mkdir()
    (ctx / "d" / "sub" / "three").hardlink_to(ctx / "d" / "one")
    text = ("FROM busybox:base AS src\nCOPY d/ /d/\n"
            "FROM busybox:base\nCOPY --from=src /d/ /e/\nCOPY d/ /d/\n"
            "RUN stat -c '%n %h %i' /d/one /d/two /d/sub/three /e/one /e/two /e/sub/three"
            " > /out\n")
    rows = [line.split() for line in _run_out(build, engine, text, "links:1").splitlines()]
    assert [r[1] for r in rows] == ["3"] * 6  # link count 3: one content, three names
    assert len({r[2] for r in rows[:3]}) == 1 and len({r[2] for r in rows[3:]}) == 1
