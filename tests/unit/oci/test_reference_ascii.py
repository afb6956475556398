"""References are ASCII, as docker's: no Unicode `\\w` in tags, no trailing newline."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scow.errors import InvalidReference
from scow.oci.reference import _match, _split, parse_reference, valid_tag


@pytest.mark.parametrize("text", ["x:té", "x:１", "x:tag\n", "busybox\n", "a/b:ü", "ö/x",
                                  "x@sha256:" + "a" * 64 + "\n", "a" * 64 + "\n"])
def test_non_ascii_and_trailing_newlines_are_refused(text: str) -> None:
    with pytest.raises(InvalidReference) as info:
        parse_reference(text)
    assert "\n" not in str(info.value).rstrip("'")


def test_tags_are_ascii() -> None:
    assert valid_tag("v1.2_3-rc") and not valid_tag("té") and not valid_tag("v1\n")
    assert parse_reference("x:Tag_1.0").tag == "Tag_1.0"


def _by_regex(text: str) -> tuple[str, str | None, str | None] | None:
    try:
        return _match(text)
    except InvalidReference:
        return None


@given(st.text(alphabet="aB0_.-:/@[]f", max_size=24) | st.from_regex(
    r"\A([a-zA-Z0-9.-]{1,12}(:[0-9]{1,5})?/)?[a-z0-9._-]{1,10}(/[a-z0-9_.-]{1,8})?"
    r"(:[A-Za-z0-9_.-]{1,10})?(@sha256:[0-9a-fA-F]{30,66})?\Z"))
def test_string_split_agrees_with_dockers_regex(text: str) -> None:
    """The common forms are split without `re` (a cold `scow ps` resolves image names): any
    form _split takes, docker's expression reads the same way."""
    got = _split(text)
    assert got is None or got == _by_regex(text), text


@pytest.mark.parametrize("text", [
    "busybox", "busybox:1.36", "acme/app:v1", "localhost/x", "localhost:5000/a/b:t",
    "Example.com/x/y", "registry.io:443/p:t@sha256:" + "b" * 64, "x@sha256:" + "c" * 64,
    "index.docker.io/library/ubuntu:22.04", "a.b/c-d__e/f.g:TAG_1.0-x", "a--b/c"])
def test_common_forms_are_split(text: str) -> None:
    assert _split(text) is not None and _split(text) == _by_regex(text)


@pytest.mark.parametrize("text", [
    "x:-t", "x:.t", "x:", "a..b", "a-.b", "a___b", "-a", "a-", "a/B", "x@sha256:abc",
    "x@md5:" + "a" * 32, "h:/x", ":1/x", "h-/x", "h:x/y", "a:b:c", "x:" + "t" * 129, "x\n",
    "[::1]/x"])
def test_other_forms_are_left_to_the_regex(text: str) -> None:
    assert _split(text) is None
