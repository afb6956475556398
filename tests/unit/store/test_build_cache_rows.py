"""Schema 6: build cache step rows hold their layers (counted by the layer store's reference
query), image rows do not, an old root's rows get ``last_used``; and the cache flags' and the
GC policy's parsing (one-line errors)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from scow.errors import InvalidArgument
from scow.store.build_cache import BuildCacheStore
from scow.store.db import BUILD_CACHE, SCHEMA, Database
from scow.store.layers import _REFS_SQL


def _layer(db: Database, chain: str) -> None:
    with db.write() as tx:
        tx.execute("INSERT INTO layers VALUES (?, ?, ?, NULL, 5, 'ready', NULL, 1)",
                   ("cache-" + chain, chain, chain))


def test_a_step_row_holds_its_layer_and_an_image_row_does_not(tmp_path: Path) -> None:
    db = Database(str(tmp_path / "scow.db"))
    rows = BuildCacheStore(db)
    _layer(db, "sha256:a")
    assert db.query(_REFS_SQL, ("sha256:a",))[0][0] == 0
    rows.put("image:x", None, "sha256:img", "sha256:a")
    assert db.query(_REFS_SQL, ("sha256:a",))[0][0] == 0
    assert rows.put("sha256:k", None, "sha256:a", "sha256:a") is None
    assert db.query(_REFS_SQL, ("sha256:a",))[0][0] == 1
    assert [r.key for r in rows.records()] == ["sha256:k"]  # image rows are not records
    _layer(db, "sha256:b")
    assert rows.put("sha256:k", None, "sha256:b", "sha256:b") == "sha256:a"  # to release
    assert rows.remove(["sha256:k", "image:x"]) == ["sha256:b"]
    assert db.query(_REFS_SQL, ("sha256:b",))[0][0] == 0
    db.close()


def test_a_version_4_root_gets_last_used_from_created(tmp_path: Path) -> None:
    path = tmp_path / "scow.db"
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA + BUILD_CACHE + "PRAGMA user_version=4;")
    conn.execute("INSERT INTO build_cache VALUES ('k', NULL, 'd', 'c', 42)")
    conn.commit()
    conn.close()
    db = Database(str(path))
    assert [(r.key, r.last_used) for r in BuildCacheStore(db).records()] == [("k", 42.0)]
    indexes = {r[0] for r in db.query("SELECT name FROM sqlite_master WHERE type='index'")}
    assert "build_cache_chain" in indexes
    db.close()


@pytest.mark.parametrize(("flag", "text", "kind"), [
    ("--cache-from", "user/app:cache", "image"),
    ("--cache-from", "type=local,src=/c", "local"),
    ("--cache-from", "type=registry,ref=r/x", "registry"),
    ("--cache-to", "type=inline", "inline"),
    ("--cache-to", "type=registry,ref=r/x,mode=max", "registry"),
])
def test_cache_specs(flag: str, text: str, kind: str) -> None:
    from scow.engine.builds.remote_cache import parse_spec

    assert parse_spec(text, flag).type == kind


@pytest.mark.parametrize(("toml", "error"), [
    ('[builder.gc]\nkeep-storage = "lots"\n', "builder.gc: invalid size"),
    ('[builder.gc]\nkeep-duration = "soon"\n', "builder.gc: time: invalid duration"),
    ('[builder]\ngc = 3\n', "builder.gc: not a table"),
    ('builder = 3\n', "builder.gc: not a table"),
])
def test_a_bad_policy_is_one_line(tmp_path: Path, toml: str, error: str) -> None:
    from scow.engine.builds.gc import policy

    (tmp_path / "scow.toml").write_text(toml)
    with pytest.raises(InvalidArgument) as failed:
        policy(str(tmp_path))
    assert error in str(failed.value) and "\n" not in str(failed.value)


def test_the_default_policy_and_a_configured_one(tmp_path: Path) -> None:
    from scow.engine.builds.gc import DEFAULT_KEEP_STORAGE, policy

    assert policy(str(tmp_path)).keep_storage == DEFAULT_KEEP_STORAGE
    (tmp_path / "scow.toml").write_text('[builder.gc]\nkeep-storage = "1GB"\n'
                                        'keep-duration = "48h"\nenabled = false\n')
    got = policy(str(tmp_path))
    assert (got.enabled, got.keep_storage, got.keep_duration) == (False, 1 << 30, 48 * 3600)
