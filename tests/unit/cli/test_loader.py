"""cli/loader.py: the launcher's finder takes a package's modules from their byte code when
its header matches the source (CPython's own timestamp check), and leaves everything else to
the standard machinery: a changed source is compiled again, a missing pyc is written."""

from __future__ import annotations

import compileall
import importlib
import os
import py_compile
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from scow.cli import loader


class _Finder(loader.ScowFinder):
    prefix = "ldrpkg."


@pytest.fixture
def tree(tmp_path: Path) -> Iterator[Path]:
    pkg = tmp_path / "ldrpkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "mod.py").write_text("VALUE = 1\n\n\ndef get() -> int:\n    return VALUE\n")
    (pkg / "sub" / "__init__.py").write_text("PKG = True\n")
    (pkg / "sub" / "leaf.py").write_text("LEAF = 'leaf'\n")
    assert compileall.compile_dir(str(pkg), quiet=1)
    sys.path.insert(0, str(tmp_path))
    sys.meta_path.insert(0, _Finder)
    try:
        yield pkg
    finally:
        sys.meta_path.remove(_Finder)
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n == "ldrpkg" or n.startswith("ldrpkg.")]:
            del sys.modules[name]
        importlib.invalidate_caches()


def test_current_byte_code_is_loaded_straight(tree: Path, monkeypatch: pytest.MonkeyPatch
                                              ) -> None:
    def generic(self: object, fullname: str) -> None:
        raise AssertionError(f"the generic path loaded {fullname}")

    import ldrpkg  # the top package: the standard machinery's

    monkeypatch.setattr(loader._external.SourceFileLoader, "get_code", generic)
    import ldrpkg.mod
    import ldrpkg.sub.leaf

    assert ldrpkg.mod.VALUE == 1 and ldrpkg.sub.leaf.LEAF == "leaf"
    assert ldrpkg.mod.__file__ == str(tree / "mod.py")
    assert ldrpkg.mod.__cached__ == str(tree / "__pycache__" / f"mod{loader._PYC}")
    assert ldrpkg.sub.__path__ == [str(tree / "sub")] and ldrpkg.sub.PKG is True
    assert isinstance(ldrpkg.mod.__spec__.loader, loader._PycLoader)


def test_a_changed_source_is_compiled_again(tree: Path, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)  # as the launcher runs
    source = tree / "mod.py"
    source.write_text("VALUE = 22\n")  # another size
    st = source.stat()
    os.utime(source, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))  # another second
    import ldrpkg.mod

    assert ldrpkg.mod.VALUE == 22
    pyc = (tree / "__pycache__" / f"mod{loader._PYC}").read_bytes()
    assert int.from_bytes(pyc[8:12], "little") == int(source.stat().st_mtime)  # rewritten


def test_a_missing_pyc_and_a_missing_module(tree: Path, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    (tree / "sub" / "__pycache__" / f"leaf{loader._PYC}").unlink()
    import ldrpkg.sub.leaf

    assert ldrpkg.sub.leaf.LEAF == "leaf"
    assert (tree / "sub" / "__pycache__" / f"leaf{loader._PYC}").exists()
    with pytest.raises(ModuleNotFoundError, match="ldrpkg.nothing"):
        importlib.import_module("ldrpkg.nothing")


def test_install_puts_it_first_once() -> None:
    before = list(sys.meta_path)
    try:
        loader.install()
        loader.install()
        assert sys.meta_path[0] is loader.ScowFinder
        assert sys.meta_path.count(loader.ScowFinder) == 1
    finally:
        sys.meta_path[:] = before


def test_same_size_other_mtime_is_compiled_again(tree: Path, monkeypatch: pytest.MonkeyPatch
                                                 ) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    source = tree / "mod.py"
    source.write_text(source.read_text().replace("VALUE = 1", "VALUE = 7"))  # same size
    st = source.stat()
    os.utime(source, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))
    import ldrpkg.mod

    assert ldrpkg.mod.VALUE == 7


def test_a_hash_based_pyc_goes_to_the_standard_machinery(tree: Path) -> None:
    source = tree / "mod.py"
    assert compileall.compile_file(
        str(source), quiet=1, force=True,
        invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    source.write_text("VALUE = 3\n")  # an unchecked hash pyc is used as it is, stale or not
    import ldrpkg.mod

    assert ldrpkg.mod.VALUE == 1  # CPython's own answer for it, not the finder's header check
    assert isinstance(ldrpkg.mod.__spec__.loader, loader._PycLoader)


def test_code_names_the_absolute_source_when_compiled_relative(tree: Path,
                                                              monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    monkeypatch.chdir(tree.parent)
    assert compileall.compile_dir("ldrpkg", quiet=1, force=True)  # as `make install` does
    import ldrpkg.mod

    assert ldrpkg.mod.get.__code__.co_filename == str(tree / "mod.py")
