"""References are ASCII, as docker's: no Unicode `\\w` in tags, no trailing newline."""

from __future__ import annotations

import pytest

from scow.errors import InvalidReference
from scow.oci.reference import parse_reference, valid_tag


@pytest.mark.parametrize("text", ["x:té", "x:１", "x:tag\n", "busybox\n", "a/b:ü", "ö/x",
                                  "x@sha256:" + "a" * 64 + "\n", "a" * 64 + "\n"])
def test_non_ascii_and_trailing_newlines_are_refused(text: str) -> None:
    with pytest.raises(InvalidReference) as info:
        parse_reference(text)
    assert "\n" not in str(info.value).rstrip("'")


def test_tags_are_ascii() -> None:
    assert valid_tag("v1.2_3-rc") and not valid_tag("té") and not valid_tag("v1\n")
    assert parse_reference("x:Tag_1.0").tag == "Tag_1.0"
