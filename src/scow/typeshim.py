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

`dataclass` and `field` stand in for the `dataclasses` module (which imports inspect, ast, dis
and tokenize) the same way: mypy checks against `dataclasses`, the run time gets the common
part (see `dataclass`), and `dataclasses.replace` still works on the classes it makes.
"""

from __future__ import annotations

try:
    from _collections import _tuplegetter  # what collections.namedtuple's fields are
except ImportError:  # pragma: no cover - CPython has it
    from operator import itemgetter as _itemgetter

    def _tuplegetter(index: int, doc: str) -> object:
        return property(_itemgetter(index), doc=doc)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any
    from typing import TypeVar as _TypeVar

    _T = _TypeVar("_T")

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
        cls = _namedtuple(name, tuple(fields), defaults, str(ns.get("__module__")))
        cls.__qualname__ = str(ns.get("__qualname__", name))
        cls.__annotations__ = dict(ns.get("__annotations__", {}))  # type: ignore[call-overload]
        for key, value in ns.items():
            if key not in _SKIP and key not in fields:
                setattr(cls, key, value)
        return cls


def _namedtuple(name: str, fields: tuple[str, ...], defaults: list[object],
                module: str) -> type:
    """What `collections.namedtuple(name, fields, defaults=defaults)` makes, without its
    `eval` of a generated `__new__` (compiling it was two thirds of the ~80 µs each of the
    15 NamedTuples `scow ps` defines): `__new__` takes the fields positionally at C speed
    and binds any other call as Python would."""
    for f in fields:
        if not f.isidentifier() or f.startswith("_"):
            raise ValueError(f"{name}: invalid field name {f!r}")
    n = len(fields)
    field_defaults = dict(zip(fields[n - len(defaults):], defaults, strict=True))
    tuple_new = tuple.__new__

    def __new__(cls: Any, *args: object, **kwargs: object) -> Any:  # noqa: N807
        if len(args) == n and not kwargs:  # every field given in order: the common call
            return tuple_new(cls, args)
        return tuple_new(cls, _bind(name, fields, field_defaults, args, kwargs))

    __new__.__qualname__ = f"{name}.__new__"
    __new__.__doc__ = f"Create new instance of {name}({', '.join(fields)})"
    ns: dict[str, object] = {
        "__doc__": f"{name}({', '.join(fields)})", "__slots__": (), "_fields": fields,
        "_field_defaults": field_defaults, "__new__": __new__, "_make": classmethod(_nt_make),
        "_replace": _nt_replace, "__repr__": _nt_repr, "_asdict": _nt_asdict,
        "__getnewargs__": _nt_getnewargs, "__match_args__": fields, "__module__": module}
    for i, f in enumerate(fields):
        ns[f] = _tuplegetter(i, f"Alias for field number {i}")
    return type(name, (tuple,), ns)


def _bind(name: str, fields: tuple[str, ...], defaults: dict[str, object],
          args: tuple[object, ...], kwargs: dict[str, object]) -> list[object]:
    """The field values of `name(*args, **kwargs)`, or Python's TypeError for that call."""
    if len(args) > len(fields):
        raise TypeError(f"{name}.__new__() takes {len(fields) + 1} positional arguments but "
                        f"{len(args) + 1} were given")
    values = list(args)
    for f in fields[len(args):]:
        if f in kwargs:
            values.append(kwargs.pop(f))
        elif f in defaults:
            values.append(defaults[f])
        else:
            raise TypeError(f"{name}.__new__() missing required argument: {f!r}")
    for key in kwargs:
        what = "got multiple values for argument" if key in fields else \
            "got an unexpected keyword argument"
        raise TypeError(f"{name}.__new__() {what} {key!r}")
    return values


def _nt_make(cls: Any, iterable: Any) -> Any:
    result = tuple.__new__(cls, iterable)
    if len(result) != len(cls._fields):
        raise TypeError(f"Expected {len(cls._fields)} arguments, got {len(result)}")
    return result


def _nt_replace(self: Any, /, **kwds: object) -> Any:
    result = self._make(map(kwds.pop, self._fields, self))
    if kwds:
        raise ValueError(f"Got unexpected field names: {list(kwds)!r}")
    return result


def _nt_repr(self: Any) -> str:
    body = ", ".join(f"{f}={v!r}" for f, v in zip(self._fields, self, strict=True))
    return f"{type(self).__name__}({body})"


def _nt_asdict(self: Any) -> dict[str, object]:
    return dict(zip(self._fields, self, strict=True))


def _nt_getnewargs(self: Any) -> tuple[object, ...]:
    return tuple(self)


class NamedTuple(metaclass=_NamedTupleMeta):
    """Subclass with annotated fields, as `typing.NamedTuple`."""


def NewType(name: str, tp: type) -> type:  # noqa: N802 - typing's spelling
    return tp


Protocol = object  # a Protocol's methods are only for mypy; nothing isinstance-checks one


def TypeVar(name: str, *constraints: object, **options: object) -> object:  # noqa: N802
    return name


# -- dataclass: `dataclasses` imports inspect, ast, dis and tokenize (15-30 ms cold) ---------

_MISSING = object()


class _Field:
    """A field of a shimmed dataclass; `_field_type` and `init` are what
    `dataclasses.replace` reads of one (so `replace` works on these classes too)."""

    _field_type = None
    init = True

    def __init__(self, default: object = _MISSING, default_factory: object = _MISSING) -> None:
        self.name = ""
        self.default = default
        self.default_factory = default_factory


def field(*, default: object = _MISSING, default_factory: object = _MISSING) -> object:
    """`dataclasses.field`'s `default` and `default_factory`."""
    return _Field(default, default_factory)


def _init(self: object, *args: object, **kwargs: object) -> None:
    fields: dict[str, _Field] = type(self).__dataclass_fields__  # type: ignore[attr-defined]
    name = type(self).__name__
    if len(args) > len(fields):
        raise TypeError(f"{name}() takes {len(fields)} arguments but {len(args)} were given")
    values = dict(zip(fields, args, strict=False))
    for key in kwargs:
        if key not in fields or key in values:
            raise TypeError(f"{name}() got an unexpected keyword argument {key!r}")
    values.update(kwargs)
    for key, f in fields.items():
        if key not in values:
            if f.default_factory is not _MISSING:
                values[key] = f.default_factory()  # type: ignore[operator]
            elif f.default is not _MISSING:
                values[key] = f.default
            else:
                raise TypeError(f"{name}() missing required argument: {key!r}")
        object.__setattr__(self, key, values[key])
    post = getattr(self, "__post_init__", None)
    if post is not None:
        post()


def _astuple(self: object) -> tuple[object, ...]:
    return tuple(getattr(self, k) for k in type(self).__dataclass_fields__)  # type: ignore


def _eq(self: object, other: object) -> object:
    if type(other) is not type(self):
        return NotImplemented
    return bool(_astuple(self) == _astuple(other))


def _repr(self: object) -> str:
    inner = ", ".join(f"{k}={getattr(self, k)!r}" for k in type(self).__dataclass_fields__)  # type: ignore
    return f"{type(self).__qualname__}({inner})"


def _hash(self: object) -> int:
    return hash(_astuple(self))


def _frozen(self: object, name: str, value: object = None) -> None:
    raise AttributeError(f"cannot assign to field {name!r}")  # dataclasses.FrozenInstanceError


def dataclass(cls: type | None = None, /, *, frozen: bool = False, slots: bool = False,
              kw_only: bool = False) -> object:
    """`dataclasses.dataclass` for classes that need only its common part: the fields from
    the annotations (ClassVar ones skipped), defaults and `field(default_factory=...)`,
    `__init__` (positional or keyword), `__repr__`, `__eq__`, `frozen` (and its `__hash__`),
    `__post_init__`, `__match_args__`; `slots` is accepted and ignored (instances keep a
    `__dict__`), so is `kw_only` (mypy holds callers to keywords; `__init__` takes both).
    Each class costs ~0.01 ms, against ~0.4 ms for the code dataclasses generates."""

    def wrap(cls: type) -> type:
        fields: dict[str, _Field] = {}
        for klass in reversed(cls.__mro__):
            fields.update(getattr(klass, "__dataclass_fields__", {}))
        for key, note in cls.__dict__.get("__annotations__", {}).items():
            if str(note).startswith(("ClassVar", "typing.ClassVar")):
                continue
            value = cls.__dict__.get(key, _MISSING)
            f = value if isinstance(value, _Field) else _Field(value)
            f.name = key
            fields[key] = f
            if isinstance(value, _Field):
                delattr(cls, key)
        methods: dict[str, object] = {
            "__dataclass_fields__": fields, "__match_args__": tuple(fields), "__init__": _init,
            "__repr__": _repr, "__eq__": _eq, "__hash__": _hash if frozen else None}
        if frozen:
            methods["__setattr__"] = methods["__delattr__"] = _frozen
        for key, value in methods.items():
            setattr(cls, key, value)
        return cls

    return wrap if cls is None else wrap(cls)


def replace(obj: _T, /, **changes: object) -> _T:
    """`dataclasses.replace` for a shimmed (or a real) dataclass, without importing
    dataclasses: a new instance with the same fields but `changes`."""
    fields = type(obj).__dataclass_fields__  # type: ignore[attr-defined]
    values = {name: getattr(obj, name) for name in fields}
    values.update(changes)
    return type(obj)(**values)
