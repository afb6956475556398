"""owns: the run-time stand-ins for the `typing` constructs that start-up paths need, so that a
short command (`scow ps`, `images`, `create`, ...) never imports `typing` (about 7 ms with `re`
and `enum` on a cold start, half the interpreter's own start).

The idiom in a module on a start-up path::

    TYPE_CHECKING = False  # mypy honours the name
    if TYPE_CHECKING:
        from typing import Any, NamedTuple, NewType
    else:
        from scow.typeshim import NamedTuple, NewType

mypy sees `typing` and checks as strictly as ever; at run time `NamedTuple` is a class whose
subclasses are `collections.namedtuple`s with the same fields, defaults, methods and docstring
(the semantics of `typing.NamedTuple`: no `super()`, no extra base classes), and `NewType`
returns the underlying type (`typing.NewType` is an identity at run time too).
"""

from __future__ import annotations

from collections import namedtuple

_SKIP = frozenset(("__module__", "__qualname__", "__annotations__", "__dict__", "__weakref__",
                   "__orig_bases__", "__static_attributes__", "__firstlineno__"))


class _NamedTupleMeta(type):
    def __new__(mcs, name: str, bases: tuple[type, ...], ns: dict[str, object]) -> type:
        if not bases:  # NamedTuple itself
            return super().__new__(mcs, name, bases, ns)
        fields = list(ns.get("__annotations__", {}))  # type: ignore[call-overload]
        defaults = [ns[f] for f in fields if f in ns]
        if any(f not in ns for f in fields[len(fields) - len(defaults):]):
            raise TypeError(f"{name}: a field without a default follows one with a default")
        cls = namedtuple(name, fields, defaults=defaults,  # type: ignore[misc]
                         module=str(ns.get("__module__")))
        cls.__qualname__ = str(ns.get("__qualname__", name))
        cls.__annotations__ = dict(ns.get("__annotations__", {}))  # type: ignore[call-overload]
        for key, value in ns.items():
            if key not in _SKIP and key not in fields:
                setattr(cls, key, value)
        return cls


class NamedTuple(metaclass=_NamedTupleMeta):
    """Subclass with annotated fields, as `typing.NamedTuple`."""


def NewType(name: str, tp: type) -> type:  # noqa: N802 - typing's spelling
    return tp


Protocol = object  # a Protocol's methods are only for mypy; nothing isinstance-checks one


def TypeVar(name: str, *constraints: object, **options: object) -> object:  # noqa: N802
    return name
