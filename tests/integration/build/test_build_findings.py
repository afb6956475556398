"""The image analysis findings a build prints after it (issue 17's short builds: on a Debian
base, reading all 13,000 entries of the base layer cost a 1-RUN build ~0.3 s of CPU): the
findings-only path (`scow.analyze.image.image_findings`) reads the first layer only where the
build's layers touch it, and finds exactly what the full analysis finds, including what
involves the base layer (a base file rewritten for a chmod, a base folder removed and made
again, with files a later layer put in it)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from tests.cli.test_image_analyze import SHAPES  # links, a folder removed and made again
from tests.conftest import make_tar

from scow.analyze import entries
from scow.analyze.image import analyze_image, image_findings
from scow.archive.tarstream import LayerReader

TOUCHES_BASE = """\
FROM busybox:base
RUN mkdir -p /home/app/sub /root/r && head -c 5000 /dev/urandom > /home/app/sub/x \\
 && head -c 7000 /dev/urandom > /root/r/y && chmod 600 /etc/passwd
RUN rm -rf /home && mkdir /home && echo new > /home/other && rm -rf /root/r
RUN chmod 700 /bin/busybox && chown 1:1 /tmp
"""


@pytest.mark.runc
@pytest.mark.parametrize("dockerfile", [TOUCHES_BASE, SHAPES], ids=["touches-base", "shapes"])
def test_build_findings_are_the_full_analysis_ones(built: tuple[Any, Path, Any],
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   dockerfile: str) -> None:
    engine, _ctx, build = built
    result, _log = build(dockerfile, tags=("findings:1",))
    full = analyze_image(engine.store, result.image_id, "findings:1")
    parsed: list[str] = []
    real_entry = entries._entry

    def counted(name: str, *args: Any) -> Any:
        parsed.append(name)
        return real_entry(name, *args)

    monkeypatch.setattr(entries, "_entry", counted)
    found = image_findings(engine.store, result.image_id)
    assert found == full.findings
    if dockerfile is TOUCHES_BASE:
        kinds = {(f.kind, f.paths) for f in found}
        assert ("metadata-rewrite", ("/bin/busybox", "/etc/passwd")) in kinds \
            or ("metadata-rewrite", ("/bin/busybox",)) in kinds, found
        deleted = {p for f in found if f.kind == "deleted-later" for p in f.paths}
        assert {"/home/app/sub/x", "/root/r/y"} <= deleted, found
    # the base layer's ~280 entries are not all parsed: only those the build's layers touch
    total = sum(r.changes.added + r.changes.changed for r in full.layers[:1])
    base_parsed = len(parsed) - sum(len(m) for m in full.marks[1:])
    assert base_parsed < total / 4, (base_parsed, total)


def test_kept_entries_are_read_layers_own() -> None:
    """read_layer with `keep` (the base layer of a build's findings) gives read_layer's entries
    at those paths, names that tar-split escapes (`&`, `"`, `\\`, non-ASCII) included."""
    names = ["plain", "a&b", 'q"uote', "back\\slash", "d\u00e9j\u00e0", "dir/", "dir/in&side"]
    tar = make_tar({n: (None if n.endswith("/") else n.encode()) for n in names})
    reader = LayerReader(io.BytesIO(tar))
    reader.finish()  # every entry consumed into the tar-split
    every = entries.read_layer(reader.tar_split)
    assert {e.path for e in every} == {n.rstrip("/") for n in names}
    for keep in ({"a&b", 'q"uote'}, {"back\\slash", "d\u00e9j\u00e0", "dir"}, {"dir/in&side"},
                 set()):
        assert entries.read_layer(reader.tar_split, keep) == [e for e in every
                                                              if e.path in keep]


def _archive(layers: list[bytes]) -> bytes:
    """A docker-save archive of one image `wh:1` made of `layers` (tars)."""
    import hashlib
    import json

    diff_ids = ["sha256:" + hashlib.sha256(t).hexdigest() for t in layers]
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                         "rootfs": {"type": "layers", "diff_ids": diff_ids},
                         "history": [{"created_by": f"step {i}"} for i in range(len(layers))]
                         }).encode()
    files = {"config.json": config, **{f"l{i}.tar": t for i, t in enumerate(layers)},
             "manifest.json": json.dumps([{"Config": "config.json", "RepoTags": ["wh:1"],
                                           "Layers": [f"l{i}.tar" for i in range(len(layers))]
                                           }]).encode()}
    return make_tar(files)


def test_findings_through_a_base_folder_no_upper_layer_names(engine: Any) -> None:
    """A layer that adds a/b/c without entries for a/ and a/b/ (a tar need not have them),
    then a layer that removes a: the deletion reaches a/b/c through the base's a/b, so the
    base is read at the folders of the paths the upper layers touch, not only at the paths."""
    base = make_tar({"a/": None, "a/b/": None, "a/b/base": b"x" * 100})
    added = make_tar({"a/b/c": b"y" * 5000})
    removed = make_tar({".wh.a": b""})
    engine.images.load(_archive([base, added, removed]))
    image_id = engine.images.resolve("wh:1")
    full = analyze_image(engine.store, image_id, "wh:1").findings
    assert [(f.kind, f.paths) for f in full] == [("deleted-later", ("/a/b/c",))]
    assert image_findings(engine.store, image_id) == full
