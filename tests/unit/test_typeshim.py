"""scow.typeshim: its NamedTuple behaves as typing.NamedTuple for what scow's records use."""

from __future__ import annotations

import copy
import pickle
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


@pytest.mark.parametrize("base", [NamedTuple, typing.NamedTuple])
def test_namedtuple_calls_as_typing_does(base: type) -> None:
    """Built without collections.namedtuple's eval (start-up): the same calls bind the same
    way, the same wrong calls raise TypeError, and the helpers and pickling behave alike."""
    point = _make(base)
    assert point(1, "b") == point(x=1, y="b") == point(1, y="b") == (1, "b")
    assert point(y="c", x=3) == (3, "c")
    for args, kwargs in (((), {}), ((1, "b", 3), {}), ((1,), {"x": 2}), ((1,), {"z": 2})):
        with pytest.raises(TypeError):
            point(*args, **kwargs)
    p = point(5, "q")
    assert point._make([5, "q"]) == p and p._asdict() == {"x": 5, "y": "q"}
    with pytest.raises(TypeError):
        point._make([1])
    with pytest.raises(ValueError):
        p._replace(z=1)
    assert pickle.loads(pickle.dumps(Pt(1, "z"))) == Pt(1, "z")
    assert copy.deepcopy(p) == p and hash(p) == hash((5, "q"))
    assert point.__match_args__ == ("x", "y") and point.x.__doc__ == "Alias for field number 0"
    match p:
        case point(x, y):
            assert (x, y) == (5, "q")
    with pytest.raises(AttributeError):
        p.__dict__  # noqa: B018 - slots only, as a namedtuple


class Pt(NamedTuple):  # module level: picklable
    n: int
    s: str = ""


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
