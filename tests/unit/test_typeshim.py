"""scow.typeshim: its NamedTuple behaves as typing.NamedTuple for what scow's records use."""

from __future__ import annotations

import typing

import pytest

from scow.typeshim import NamedTuple, NewType


def _make(base: type) -> type:
    class Point(base):  # type: ignore[valid-type, misc]
        """A point."""
        x: int
        y: str = "a"

        def double(self) -> int:
            return int(self.x) * 2

        @property
        def label(self) -> str:
            return f"{self.x}{self.y}"

    return Point


@pytest.mark.parametrize("base", [NamedTuple, typing.NamedTuple])
def test_namedtuple_fields_defaults_methods(base: type) -> None:
    point = _make(base)
    p = point(2)
    assert p == (2, "a") and p.x == 2 and p.y == "a"
    assert p.double() == 4 and p.label == "2a"
    assert p._replace(y="b") == (2, "b") and point._fields == ("x", "y")
    assert point._field_defaults == {"y": "a"} and point.__doc__ == "A point."
    assert repr(p) == "Point(x=2, y='a')" and isinstance(p, tuple)
    assert list(point.__annotations__) == ["x", "y"]
    assert point.__module__ == __name__ and "_make.<locals>.Point" in point.__qualname__
    with pytest.raises(AttributeError):
        p.x = 3


def test_namedtuple_refuses_a_required_field_after_a_default() -> None:
    with pytest.raises(TypeError):
        class Bad(NamedTuple):
            a: int = 1
            b: int  # type: ignore[misc]


def test_newtype_is_the_underlying_type() -> None:
    assert NewType("X", str) is str
