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


def _options(dc: typing.Any, fld: typing.Any) -> type:
    @dc(frozen=True, slots=True)
    class Options:
        """Create's options."""
        image: str
        cmd: list[str] | None = None
        env: list[str] = fld(default_factory=list)
        limit: typing.ClassVar[int] = 3

        @property
        def argv(self) -> list[str]:
            return list(self.cmd or [])

    return Options


@pytest.mark.parametrize("real", [True, False], ids=["dataclasses", "typeshim"])
def test_dataclass_as_dataclasses_for_scow_options(real: bool) -> None:
    import dataclasses

    from scow import typeshim

    mod: typing.Any = dataclasses if real else typeshim
    opts = _options(mod.dataclass, mod.field)
    a, b = opts(image="x"), opts("x", ["sh"])
    assert (a.image, a.cmd, a.env, b.cmd, b.argv) == ("x", None, [], ["sh"], ["sh"])
    assert a.env is not opts(image="y").env  # a fresh list each
    assert a == opts(image="x") and a != b
    assert repr(a).endswith("Options(image='x', cmd=None, env=[])")
    assert opts.__match_args__ == ("image", "cmd", "env")
    with pytest.raises(AttributeError):
        a.image = "z"
    with pytest.raises(TypeError, match="unexpected keyword argument 'imag'"):
        opts(imag="x")
    with pytest.raises(TypeError, match="image"):
        opts()
    c = dataclasses.replace(b, env=["A=1"])  # the builder replaces fields of a RunConfig
    assert (c.image, c.cmd, c.env, type(c)) == ("x", ["sh"], ["A=1"], opts)
