"""scow.analyze without a store: tar-split entries with their headers, dive's efficiency
figures (checked against numbers worked out by hand from dive's algorithm), layer changes,
findings and dive's CI rules."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from scow.analyze import ci
from scow.analyze.efficiency import efficiency
from scow.analyze.entries import Entry, read_layer
from scow.analyze.layers import layer_changes
from scow.analyze.report import analyze, render, to_json
from scow.archive.tarstream import LayerReader
from scow.errors import InvalidArgument


def layer_of(members: list[tuple[str, bytes | None, int, int]]) -> list[Entry]:
    """(name, content or None for a folder, mode, uid) → the entries scow reads back from the
    tar-split that registering that tar would store."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, content, mode, uid in members:
            info = tarfile.TarInfo(name)
            info.mode, info.uid = mode, uid
            if content is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(content)
                tar.addfile(info, io.BytesIO(content))
    reader = LayerReader(io.BytesIO(buf.getvalue()))
    for entry in reader.entries():
        entry.read()
    reader.finish()
    return read_layer(reader.tar_split)


def f(name: str, size: int, mode: int = 0o644, uid: int = 0) -> tuple[str, bytes, int, int]:
    return name, b"x" * size, mode, uid


def d(name: str) -> tuple[str, None, int, int]:
    return name, None, 0o755, 0


def test_entries_carry_type_mode_owner_and_crc_from_the_raw_headers() -> None:
    long_name = "opt/" + "n" * 150 + "/file"
    layer = layer_of([d("opt/"), f("opt/a", 3, 0o600, 1000), f(long_name, 2, 0o755, 7)])
    assert [(e.path, e.size, e.kind, e.mode, e.uid) for e in layer] == [
        ("opt", 0, "5", 0o755, 0), ("opt/a", 3, "0", 0o600, 1000),
        (long_name, 2, "0", 0o755, 7)]
    assert layer[1].crc is not None and layer[1].crc == layer_of([f("opt/a", 3)])[0].crc


def test_whiteout_entries_name_their_target() -> None:
    (entry,) = layer_of([f("etc/.wh.passwd", 0)])
    assert entry.is_whiteout and entry.target == "etc/passwd"
    (opaque,) = layer_of([f("etc/.wh..wh..opq", 0)])
    assert opaque.is_opaque and opaque.target == "etc/.wh..wh..opq"


def test_dive_figures_for_overwrite_and_deletions() -> None:
    base = layer_of([d("etc/"), f("etc/a", 100), d("opt/"), d("opt/d/"), f("opt/d/x", 40),
                     f("opt/d/y", 60)])
    rewrite = layer_of([d("etc/"), f("etc/a", 30)])
    delete_file = layer_of([d("etc/"), f("etc/.wh.a", 0)])
    delete_dir = layer_of([d("opt/"), f("opt/.wh.d", 0)])
    result = efficiency([base, rewrite, delete_file, delete_dir])
    # /etc/a: 100 + 30 + 0 (a removed file adds nothing), in three layers; /opt/d is a leaf
    # only where it is removed (x, y and the folder: 100), so it is seen once, not wasted
    assert result.wasted_bytes == 130
    assert [(c.path, c.layers) for c in result.inefficiencies] == [("/etc/a", 3)]
    # Σ minimum: /etc/a 0 + x 40 + y 60 + /opt/d 100; Σ cumulative: 130 + 40 + 60 + 100
    assert result.score == pytest.approx(200 / 330)
    assert result.layer_sizes == [200, 30, 0, 0] and result.user_size == 30
    assert result.user_wasted_percent == pytest.approx(130 / 30)


def test_opaque_markers_are_ignored_like_dive_and_an_empty_image_scores_one() -> None:
    base = layer_of([d("opt/"), f("opt/x", 10)])
    opaque = layer_of([d("opt/"), f("opt/.wh..wh..opq", 0), f("opt/y", 5)])
    assert efficiency([base, opaque]).wasted_bytes == 0
    assert efficiency([]).score == 1.0


def test_layer_changes_count_and_unreachable_bytes() -> None:
    base = layer_of([d("opt/"), d("opt/d/"), f("opt/d/x", 40), f("opt/keep", 5)])
    upper = layer_of([d("opt/"), f("opt/keep", 7), f("opt/.wh.d", 0), f("opt/new", 1)])
    opaque = layer_of([d("opt/"), f("opt/.wh..wh..opq", 0), f("opt/z", 2)])
    changes, stack = layer_changes([base, upper, opaque])
    assert [(c.added, c.changed, c.removed, c.unreachable) for c in changes] == [
        (4, 0, 0, 0), (1, 2, 2, 45), (1, 1, 2, 8)]
    assert stack.reachable_size == 2 and set(stack.files) == {"opt", "opt/z"}


def test_findings_chown_rewrite_deleted_cache_and_container_writes() -> None:
    big = 2 << 20
    base = layer_of([d("srv/"), f("srv/base.log", big)])
    copy = layer_of([d("app/"), f("app/data.bin", 5000)])
    chown = layer_of([d("app/"), f("app/data.bin", 5000, 0o600, 1000)])
    run = layer_of([d("var/lib/apt/lists/"), f("var/lib/apt/lists/Packages", 300),
                    f("app/db.sqlite", big), f("app/tmp", 10)])
    clean = layer_of([d("var/lib/apt/lists/"), f("var/lib/apt/lists/.wh.Packages", 0),
                      f("app/tmp", 11)])
    steps = ["base", "COPY data.bin /app/", "RUN chown", "RUN apt-get update", "RUN rm"]
    result = analyze("sha256:" + "0" * 64, "x", [base, copy, chown, run, clean], steps,
                     ["sha256:" + "1" * 64] * 5)
    kinds = {(x.kind, x.layer, x.files, x.size) for x in result.findings}
    assert kinds == {("metadata-rewrite", 2, 1, 5000), ("container-write", 3, 1, big),
                     ("deleted-later", 4, 1, 300), ("rewritten", 4, 1, 10)}
    advice = {x.kind: x.advice for x in result.findings}
    assert "--chown" in advice["metadata-rewrite"]
    assert "rm -rf /var/lib/apt/lists/*" in advice["deleted-later"]
    assert "--mount=type=cache" in advice["deleted-later"]
    assert "merge these RUN steps" in advice["rewritten"]
    assert "[metadata-rewrite] layer 2" in render(result)
    assert '"inefficientBytes": ' in to_json(result)


def test_cache_left_in_the_image_is_a_finding() -> None:
    base = layer_of([d("etc/")])
    run = layer_of([d("root/.cache/pip/"), f("root/.cache/pip/wheel", 50)])
    (finding,) = analyze("i", "x", [base, run], ["", "RUN pip install"], []).findings
    assert finding.kind == "cache" and "--no-cache-dir" in finding.advice


def test_ci_rules_follow_dive(tmp_path: Path) -> None:
    base = layer_of([f("a", 100)])
    result = analyze("i", "x", [base, layer_of([f("a", 100)])], [], [])
    assert result.efficiency == 0.5 and result.wasted_bytes == 200
    by_key = {r.key: r.status for r in ci.evaluate(result, {})}
    assert by_key == {"lowestEfficiency": "FAIL", "highestWastedBytes": "SKIP",
                      "highestUserWastedPercent": "FAIL"}
    config = tmp_path / ".dive-ci"
    config.write_text("rules:\n  lowestEfficiency: 0.4  # ok\n  highestWastedBytes: 1KB\n"
                      "  highestUserWastedPercent: disabled\n")
    rules = ci.read_config(str(config))
    assert {r.key: r.status for r in ci.evaluate(result, rules)} == {
        "lowestEfficiency": "PASS", "highestWastedBytes": "PASS",
        "highestUserWastedPercent": "SKIP"}
    assert ci.parse_bytes("20MB") == 20_000_000 and ci.parse_bytes("1.5KiB") == 1536


@pytest.mark.parametrize(("text", "error"), [
    ("rules:\n  lowestEfficiency: 2\n", "outside allowed range"),
    ("rules:\n  highestWastedBytes: lots\n", "invalid highestWastedBytes"),
    ("rules:\n  somethingElse: 1\n", "unknown rule 'somethingElse'"),
])
def test_bad_ci_config_is_a_one_line_error(tmp_path: Path, text: str, error: str) -> None:
    config = tmp_path / ".dive-ci"
    config.write_text(text)
    with pytest.raises(InvalidArgument, match=error):
        ci.validate(ci.read_config(str(config)))
