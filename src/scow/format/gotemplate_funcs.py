"""owns: the builtin functions of Go's text/template (and, or, not, len, index, slice, print,
printf, println, eq, ne, lt, le, gt, ge, call, html, js, urlquery).

``and``/``or`` are placeholders here: the executor evaluates them lazily, as Go 1.18+ does.
A builtin signals failure by raising; the executor reports ``error calling NAME: ...``.
"""

from __future__ import annotations

from collections.abc import Callable

from scow.format.gofmt import sprint, sprintf, sprintln
from scow.format.govalue import MISSING, GoInt, NilMap, NilSlice, go_len, truth, type_name

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import Any


class FuncError(Exception):
    """A builtin's failure (its message is Go's, without the ``error calling`` prefix)."""


def _kind(value: Any) -> str:
    if value is None or value is MISSING:
        return "nil"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, GoInt) and value.go_type.startswith("uint"):
        return "uint"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    return "other"


def _equal(a: Any, b: Any) -> bool:
    ka, kb = _kind(a), _kind(b)
    if ka != kb and {ka, kb} != {"int", "uint"}:
        if "nil" in (ka, kb) and "other" in (ka, kb):
            return False
        raise FuncError("incompatible types for comparison")
    if ka == "other":
        if isinstance(a, (list, dict, NilSlice, NilMap)):
            raise FuncError(f"non-comparable type {type_name(a)}: {a!r}")
        return bool(a == b)
    return bool(a == b)


def eq(arg1: Any, *args: Any) -> bool:
    if not args:
        raise FuncError("missing argument for comparison")
    return any(_equal(arg1, b) for b in args)


def ne(a: Any, b: Any) -> bool:
    return not _equal(a, b)


def lt(a: Any, b: Any) -> bool:
    ka, kb = _kind(a), _kind(b)
    if ka not in ("int", "uint", "float", "string") or kb not in ("int", "uint", "float",
                                                                   "string"):
        raise FuncError("invalid type for comparison")
    if ka != kb and {ka, kb} != {"int", "uint"}:
        raise FuncError("incompatible types for comparison")
    return bool(a < b)


def le(a: Any, b: Any) -> bool:
    return lt(a, b) or _equal(a, b)


def gt(a: Any, b: Any) -> bool:
    return not le(a, b)


def ge(a: Any, b: Any) -> bool:
    return not lt(a, b)


def not_(value: Any) -> bool:
    return not truth(value)


def length(value: Any) -> int:
    try:
        return go_len(value)
    except TypeError as exc:
        raise FuncError(str(exc)) from None


def _int_index(value: Any, size: int, cap: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise FuncError(f"cannot index slice/array with type {type_name(value)}")
    if value < 0 or value >= (size if cap is None else cap):
        raise FuncError(f"index out of range: {value}")
    return int(value)


def index(item: Any, *indices: Any) -> Any:
    for idx in indices:
        if item is None or item is MISSING:
            raise FuncError("index of untyped nil")
        if isinstance(item, (dict, NilMap)):
            item = item.get(idx, MISSING) if isinstance(item, dict) else MISSING
            item = MISSING if item is None else item
        elif isinstance(item, str):
            raw = item.encode()
            item = raw[_int_index(idx, len(raw))]
        elif isinstance(item, (list, tuple, bytes, NilSlice)):
            item = list(item)[_int_index(idx, len(item))]
        else:
            raise FuncError(f"can't index item of type {type_name(item)}")
    return item


def slice_(item: Any, *indices: Any) -> Any:
    if item is None or item is MISSING:
        raise FuncError("slice of untyped nil")
    if isinstance(item, str):
        if len(indices) > 2:
            raise FuncError("cannot 3-index slice a string")
        seq: Any = item.encode()
    elif isinstance(item, (list, tuple, bytes, NilSlice)):
        seq = list(item) if not isinstance(item, bytes) else item
    else:
        raise FuncError(f"can't slice item of type {type_name(item)}")
    bounds = [0, len(seq)]
    for i, idx in enumerate(indices[:2]):
        bounds[i] = _int_index(idx, len(seq) + 1)
    if bounds[0] > bounds[1]:
        raise FuncError(f"invalid slice index: {bounds[0]} > {bounds[1]}")
    out = seq[bounds[0]:bounds[1]]
    return out.decode("utf-8", "replace") if isinstance(item, str) else out


def call(fn: Any, *args: Any) -> Any:
    if not callable(fn):
        raise FuncError(f"non-function of type {type_name(fn)}")
    return fn(*args)


def _eval_args(args: tuple[Any, ...]) -> str:
    if len(args) == 1 and isinstance(args[0], str):
        return args[0]
    return sprint(*args)


def html(*args: Any) -> str:
    text = _eval_args(args)
    table = {"<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&#39;", '"': "&#34;",
             "\0": "\ufffd"}
    return "".join(table.get(ch, ch) for ch in text)


def js(*args: Any) -> str:
    out: list[str] = []
    for ch in _eval_args(args):
        if ch in "\\'\"":
            out.append("\\" + ch)
        elif ch in "<>&=":
            out.append(f"\\u{ord(ch):04X}")
        elif ord(ch) < 0x20 or not ch.isprintable():
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return "".join(out)


def urlquery(*args: Any) -> str:
    safe = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~"
    out: list[str] = []
    for byte in _eval_args(args).encode():
        ch = chr(byte)
        out.append(ch if ch in safe else "+" if ch == " " else f"%{byte:02X}")
    return "".join(out)


def _placeholder(*args: Any) -> Any:  # "and"/"or" are evaluated by the executor
    raise FuncError("and/or must be evaluated lazily")


BUILTINS: dict[str, Callable[..., Any]] = {
    "and": _placeholder, "or": _placeholder, "not": not_, "len": length, "index": index,
    "slice": slice_, "print": sprint, "printf": sprintf, "println": sprintln,
    "eq": eq, "ne": ne, "lt": lt, "le": le, "gt": gt, "ge": ge, "call": call,
    "html": html, "js": js, "urlquery": urlquery,
}
