"""owns: Go's value model for templates and json: how Python values stand for Go values.

Python → Go: dict → map (printed ``map[k:v ...]``, keys sorted), list/tuple → slice (``[a b]``),
None → nil (``<nil>``), bool, int, float (``%v`` = strconv 'g' shortest), str, bytes.
Wrappers say what plain Python cannot: `Struct` (ordered named fields, ``{v1 v2}``), `NilSlice`
(``[]``, json null), `NilMap` (``map[]``, json null), `GoTime` (time.Time), typed ints for
``%T`` (`Int64`, `Uint64`, ...). An object whose class has ``__go_fields__`` (a tuple of field
names) is a struct too: fields are attributes, other exported attributes are methods.
`MISSING` is Go's invalid reflect.Value (a missing map key): printed ``<no value>``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import Any


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class Struct:
    """A Go struct value: named fields in declaration order.

    `omitempty` names fields that encoding/json drops when empty; `json_names` maps a field to
    its json key (``"-"`` hides it); `type_name` is what ``%T`` prints.
    """

    __slots__ = ("fields", "omitempty", "json_names", "type_name")

    def __init__(self, fields: Mapping[str, Any] | Iterable[tuple[str, Any]] = (), /, *,
                 omitempty: Iterable[str] = (), json_names: Mapping[str, str] | None = None,
                 type_name: str = "struct") -> None:
        self.fields: dict[str, Any] = dict(fields)
        self.omitempty = frozenset(omitempty)
        self.json_names = dict(json_names or {})
        self.type_name = type_name

    def __getitem__(self, name: str) -> Any:
        return self.fields[name]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Struct) and other.fields == self.fields

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Struct({self.fields!r})"


class NilSlice:
    """A typed nil slice: prints ``[]``, has length 0, marshals to json ``null``."""

    __slots__ = ()

    def __len__(self) -> int:
        return 0

    def __iter__(self) -> Any:
        return iter(())

    def __repr__(self) -> str:
        return "NilSlice()"


class NilMap:
    """A typed nil map: prints ``map[]``, has length 0, marshals to json ``null``."""

    __slots__ = ()

    def __len__(self) -> int:
        return 0

    def __contains__(self, key: object) -> bool:
        return False

    def __getitem__(self, key: object) -> Any:
        raise KeyError(key)

    def __repr__(self) -> str:
        return "NilMap()"


NIL_SLICE = NilSlice()
NIL_MAP = NilMap()


class GoInt(int):
    """An int with a Go type name (for ``printf "%T"``)."""

    go_type = "int"


class Int64(GoInt):
    go_type = "int64"


class Int32(GoInt):
    go_type = "int32"


class Uint64(GoInt):
    go_type = "uint64"


class Uint32(GoInt):
    go_type = "uint32"


class Uint16(GoInt):
    go_type = "uint16"


class Uint8(GoInt):
    go_type = "uint8"


class GoTime:
    """Go's time.Time at nanosecond precision in a fixed zone (UTC unless told)."""

    __slots__ = ("unix_ns", "offset", "zone")

    def __init__(self, unix_ns: int, *, offset: int = 0, zone: str = "UTC") -> None:
        self.unix_ns = unix_ns
        self.offset = offset  # seconds east of UTC
        self.zone = zone if offset or zone != "UTC" else "UTC"

    @classmethod
    def parse(cls, text: str) -> GoTime:
        """Parse RFC 3339 with up to nanoseconds (``2026-11-29T08:30:43.483191123Z``)."""
        import datetime as _dt
        base, frac, tz = text, "", ""
        if text.endswith(("Z", "z")):
            base, tz = text[:-1], "Z"
        elif len(text) > 6 and text[-6] in "+-" and text[-3] == ":":
            base, tz = text[:-6], text[-6:]
        if "." in base:
            base, frac = base.split(".", 1)
        try:
            moment = _dt.datetime.fromisoformat(base).replace(tzinfo=_dt.UTC)
            nanos = int((frac + "000000000")[:9]) if frac else 0
        except ValueError as exc:
            raise ValueError(f"parse time {text!r}: not RFC 3339") from exc
        offset = 0
        if tz not in ("", "Z"):
            offset = (1 if tz[0] == "+" else -1) * (int(tz[1:3]) * 3600 + int(tz[4:6]) * 60)
        secs = int(moment.timestamp()) - offset
        return cls(secs * 1_000_000_000 + nanos, offset=offset, zone="UTC" if not offset else "")

    def _parts(self) -> tuple[Any, int]:
        import datetime as _dt
        secs, nanos = divmod(self.unix_ns, 1_000_000_000)
        epoch = _dt.datetime(1970, 1, 1)
        return epoch + _dt.timedelta(seconds=secs + self.offset), nanos

    def _offset_text(self, colon: bool) -> str:
        sign = "-" if self.offset < 0 else "+"
        hours, rest = divmod(abs(self.offset), 3600)
        return f"{sign}{hours:02d}{':' if colon else ''}{rest // 60:02d}"

    def String(self) -> str:  # noqa: N802 - Go's method name, callable from templates
        moment, nanos = self._parts()
        frac = f".{nanos:09d}".rstrip("0") if nanos else ""
        zone = self.zone or self._offset_text(False)
        return f"{moment:%Y-%m-%d %H:%M:%S}{frac} {self._offset_text(False)} {zone}"

    def rfc3339nano(self) -> str:
        moment, nanos = self._parts()
        frac = f".{nanos:09d}".rstrip("0") if nanos else ""
        tz = "Z" if self.offset == 0 else self._offset_text(True)
        return f"{moment:%Y-%m-%dT%H:%M:%S}{frac}{tz}"

    def Unix(self) -> int:  # noqa: N802
        return self.unix_ns // 1_000_000_000

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GoTime) and other.unix_ns == self.unix_ns

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"GoTime({self.rfc3339nano()!r})"


# -- kinds ----------------------------------------------------------------------------------
def is_struct(value: Any) -> bool:
    return isinstance(value, Struct) or hasattr(type(value), "__go_fields__")


def struct_fields(value: Any) -> list[tuple[str, Any]]:
    """(name, value) of every field of a struct-like value, in declaration order."""
    if isinstance(value, Struct):
        return list(value.fields.items())
    return [(name, getattr(value, name)) for name in type(value).__go_fields__]


def is_slice(value: Any) -> bool:
    return isinstance(value, (list, tuple, NilSlice))


def is_map(value: Any) -> bool:
    return isinstance(value, (dict, NilMap))


def sorted_keys(mapping: Mapping[Any, Any] | NilMap) -> list[Any]:
    """Map keys in Go's order (fmt and text/template sort them: numbers, then strings)."""
    if isinstance(mapping, NilMap):
        return []
    return sorted(mapping, key=lambda k: (isinstance(k, str), k))


def go_len(value: Any) -> int:
    if isinstance(value, str):
        return len(value.encode("utf-8", "surrogatepass"))
    if isinstance(value, (bytes, list, tuple, dict, NilSlice, NilMap)):
        return len(value)
    raise TypeError(f"len of type {type_name(value)}")


def truth(value: Any) -> bool:
    """Go template truth: false, 0, nil, empty string/slice/map and missing are false."""
    if value is MISSING or value is None:
        return False
    if isinstance(value, (bool, int, float, str, bytes, list, tuple, dict, NilSlice, NilMap)):
        return bool(len(value)) if isinstance(value, (NilSlice, NilMap)) else bool(value)
    return True


def type_name(value: Any) -> str:
    """What Go's ``%T`` would print for the value."""
    if value is None or value is MISSING:
        return "<nil>"
    simple = {bool: "bool", int: "int", float: "float64", str: "string", bytes: "[]uint8",
              list: "[]interface {}", tuple: "[]interface {}", dict: "map[string]interface {}",
              NilSlice: "[]interface {}", NilMap: "map[string]interface {}"}
    if isinstance(value, GoInt):
        return value.go_type
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, str) for v in value):
        return "[]string"
    if type(value) in simple:
        return simple[type(value)]
    if isinstance(value, Struct):
        return value.type_name
    if isinstance(value, GoTime):
        return "time.Time"
    return str(getattr(type(value), "__go_type__", type(value).__name__))


# -- %v -------------------------------------------------------------------------------------
def format_float(value: float, fmt: str = "g", prec: int = -1) -> str:
    """strconv.FormatFloat(value, fmt, prec, 64) for fmt in 'g', 'e', 'f' (prec -1 = shortest)."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "+Inf" if value > 0 else "-Inf"
    if prec >= 0:
        text = f"{value:.{prec}{fmt}}"
        return _go_exponent(text)
    digits, exp = _shortest(value)
    sign = "-" if str(value).startswith("-") else ""
    if fmt == "g":  # shortest %g: exponent form when exp < -4 or exp >= 6 (eprec = 6)
        fmt = "e" if exp < -4 or exp >= 6 else "f"
    if fmt == "e":
        mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{mant}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if exp < 0:
        return f"{sign}0.{'0' * (-exp - 1)}{digits}"
    if len(digits) <= exp + 1:
        return sign + digits + "0" * (exp + 1 - len(digits))
    return f"{sign}{digits[:exp + 1]}.{digits[exp + 1:]}"


def _shortest(value: float) -> tuple[str, int]:
    """Shortest round-trip decimal digits of |value| and the decimal exponent of the first."""
    if value == 0:
        return "0", 0
    text = repr(abs(value))
    if "e" in text:
        mant, _, exp_text = text.partition("e")
        digits, exp = mant.replace(".", ""), int(exp_text)
    else:
        whole, _, frac = text.partition(".")
        frac = frac.rstrip("0") if frac != "0" else ""
        if whole != "0":
            digits, exp = (whole + frac), len(whole) - 1
        else:
            stripped = frac.lstrip("0")
            digits, exp = stripped, -(len(frac) - len(stripped)) - 1
    digits = digits.rstrip("0") or "0"
    return digits, exp


def _go_exponent(text: str) -> str:
    """Python writes e+06 like Go; keep it but map inf/nan spellings."""
    return {"inf": "+Inf", "-inf": "-Inf", "nan": "NaN"}.get(text, text)


def go_str(value: Any, plus: bool = False) -> str:
    """fmt's ``%v`` (``%+v`` when `plus`) of a value."""
    if value is MISSING:
        return "<no value>"
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        return format_float(value)
    if isinstance(value, str):
        return value
    if isinstance(value, GoTime):
        return value.String()
    if isinstance(value, (bytes, bytearray)):
        return "[" + " ".join(str(b) for b in value) + "]"
    if isinstance(value, (list, tuple, NilSlice)):
        return "[" + " ".join(go_str(v, plus) for v in value) + "]"
    if isinstance(value, (dict, NilMap)):
        items = (f"{go_str(k, plus)}:{go_str(value[k], plus)}" for k in sorted_keys(value))
        return "map[" + " ".join(items) + "]"
    if is_struct(value):
        parts = (f"{k}:{go_str(v, plus)}" if plus else go_str(v, plus)
                 for k, v in struct_fields(value))
        return "{" + " ".join(parts) + "}"
    method = getattr(value, "String", None) or getattr(value, "Error", None)
    if callable(method):
        return str(method())
    return str(value)
