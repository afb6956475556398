"""COPY/ADD as BuildKit does them, on the real store (overlay2) with real runc: the folder
``--chown`` creates, hard links kept, ``--exclude``, ``--parents``, ``--link`` and
``ADD --checksum``. Where Debian's docker 20.10 frontend lacks a feature, the expected values
are BuildKit's documented results (docs.docker.com Dockerfile reference)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from scow.errors import ScowError

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


def _tree(ctx: Path) -> None:
    """BuildKit's testExcludedFilesOnCopy context (dockerfile/dockerfile_exclude_test.go)."""
    files = {"dir1/file-101.png": "2", "dir1/file-102.txt": "3", "dir1/file-103.jpeg": "4",
             "dir2/file-201.pdf": "6", "dir2/file-202.jpeg": "7", "dir2/file-203.png": "8",
             "dir3/file-301.mp3": "9", "dir3/file-302.mpeg": "10"}
    for name, content in files.items():
        (ctx / name).parent.mkdir(exist_ok=True)
        (ctx / name).write_text(content)


def test_copy_exclude_as_buildkit(built: Any) -> None:
    engine, ctx, build = built
    _tree(ctx)
    text = ("FROM busybox:base\n"
            "COPY --exclude=*/*.png --exclude=*/*.jpeg dir1 dir2 dir3 /1/\n"
            "ADD --exclude=*.mp3 dir3/ /3/\n"
            "COPY --exclude=*.mp3 --exclude=*.jpeg --exclude=*.png --exclude=*.pdf "
            "--exclude=*.txt dir* /4/\n"
            "ADD --exclude=* dir* /6/\n"
            "RUN cd / && find /1 /3 /4 /6 | sort > /out\n")
    out = _run_out(build, engine, text, "exclude:1").split()
    # BuildKit's expected files: patterns match the path under each source (file names of
    # a folder's contents here), folders stay, excluded files do not
    assert out == ["/1", "/1/file-101.png", "/1/file-102.txt", "/1/file-103.jpeg",
                   "/1/file-201.pdf", "/1/file-202.jpeg", "/1/file-203.png",
                   "/1/file-301.mp3", "/1/file-302.mpeg",
                   "/3", "/3/file-302.mpeg", "/4", "/4/file-302.mpeg", "/6"]


def test_copy_exclude_of_paths_under_the_source(built: Any) -> None:
    engine, ctx, build = built
    _tree(ctx)
    text = ("FROM busybox:base\nCOPY --exclude=*/*.png --exclude=dir3 . /1/\n"
            "RUN find /1 -type f | sort > /out\n")
    out = _run_out(build, engine, text, "exclude:2").split()
    assert out == ["/1/Dockerfile", "/1/dir1/file-102.txt", "/1/dir1/file-103.jpeg",
                   "/1/dir2/file-201.pdf", "/1/dir2/file-202.jpeg"]


def test_copy_parents(built: Any) -> None:
    engine, ctx, build = built
    for name in ("x/a.txt", "y/a.txt", "y/z/b.txt", "w/v/c.txt"):
        (ctx / name).parent.mkdir(parents=True, exist_ok=True)
        (ctx / name).write_text(name)
    text = ("FROM busybox:base\nCOPY --parents x/a.txt ./y/a.txt /p/\n"
            "COPY --parents y/*/*.txt /q/\nCOPY --parents ./w/./v/c.txt /r/\n"
            "COPY --parents w /s/\nCOPY x/a.txt y/a.txt /flat/\n"
            "RUN find /p /q /r /s /flat -type f | sort > /out\n")
    out = _run_out(build, engine, text, "parents:1").split()
    # docs.docker.com, COPY --parents: the sources' paths are kept under the destination;
    # with a /./ pivot, only the part after it
    assert out == ["/flat/a.txt", "/p/x/a.txt", "/p/y/a.txt", "/q/y/z/b.txt", "/r/v/c.txt",
                   "/s/w/v/c.txt"]


def test_add_parents_is_refused_as_buildkit(built: Any) -> None:
    _, ctx, build = built
    (ctx / "a").write_text("a")
    with pytest.raises(ScowError) as failed:
        build("FROM busybox:base\nADD --parents a /p/\n")
    assert str(failed.value) == "Dockerfile:2: add unknown flag: parents"


def test_copy_link_writes_the_layer_without_the_base(built: Any) -> None:
    engine, ctx, build = built
    (ctx / "f.txt").write_text("f\n")
    first, _ = build("FROM busybox:base\nCOPY --link f.txt /opt/app/\n",
                     tags=("link:1",), build_args={"SOURCE_DATE_EPOCH": "1700000000"},
                     epoch=1700000000)
    second, _ = build("FROM busybox:base\nRUN mkdir -p /opt/app && touch /opt/app/x\n"
                      "COPY --link f.txt /opt/app/\n", tags=("link:2",), epoch=1700000000)
    from tests.integration.build.test_build_steps import _read

    assert _read(engine, "link:2", "/opt/app/f.txt") == b"f\n"
    assert _read(engine, "link:2", "/opt/app/x") == b""
    # the same layer whatever the base holds: it was written as on an empty rootfs
    assert first.image["rootfs"]["diff_ids"][-1] == second.image["rootfs"]["diff_ids"][-1]


@pytest.fixture
def http_file() -> Any:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Length", "6")
            self.end_headers()
            self.wfile.write(b"hello\n")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hello.txt"
    server.shutdown()
    server.server_close()
    thread.join()


HELLO_SUM = "sha256:5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"


def test_add_checksum_of_a_url(built: Any, http_file: str) -> None:
    from tests.integration.build.test_build_steps import _read

    engine, _, build = built
    build(f"FROM busybox:base\nADD --checksum={HELLO_SUM} {http_file} /h.txt\n",
          tags=("sum:1",))
    assert _read(engine, "sum:1", "/h.txt") == b"hello\n"
    wrong = "sha256:" + "0" * 64
    with pytest.raises(ScowError) as failed:
        build(f"FROM busybox:base\nADD --checksum={wrong} {http_file} /h.txt\n")
    # BuildKit (source/http): "digest mismatch <got>: <wanted>"
    assert str(failed.value) == f"Dockerfile:2: digest mismatch {HELLO_SUM}: {wrong}"
    with pytest.raises(ScowError) as failed:
        build(f"FROM busybox:base\nADD --checksum={HELLO_SUM} Dockerfile /d\n")
    assert "checksum can't be specified for non-HTTP(S) sources" in str(failed.value)


def test_hard_links_are_part_of_the_cache_key(built: Any) -> None:
    engine, ctx, build = built
    (ctx / "d").mkdir()
    (ctx / "d" / "one").write_text("same\n")
    (ctx / "d" / "two").write_text("same\n")  # two files, one content
    text = "FROM busybox:base\nCOPY d/ /d/\nRUN stat -c %h /d/one > /out\n"
    assert _run_out(build, engine, text, "lk:1") == "1\n"
    (ctx / "d" / "two").unlink()
    (ctx / "d" / "two").hardlink_to(ctx / "d" / "one")  # now linked: not the cached layer
    assert _run_out(build, engine, text, "lk:2") == "2\n"
