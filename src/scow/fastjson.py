"""owns: JSON `loads`/`dumps` through the interpreter's `_json` C module, without importing the
`json` package on the short commands' paths (issue 18).

`import json` loads `re` and, behind it, `enum`, `functools` and the regular-expression
compiler: about 4 ms of a cold command's CPU, for code a listing never runs. The C scanner and
encoder that `json` drives are the same objects here, so the output is the same bytes and
every document `json` accepts is accepted; anything this module does not cover (an error
message, `indent`, an encoding other than UTF-8, an interpreter without `_json`) goes to
`json` itself, imported then. Errors are `json`'s: a `ValueError` (`json.JSONDecodeError`)
for a document that is not valid, a `TypeError` for a value that has no JSON form.
"""

from __future__ import annotations

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import Any

try:
    import _json
except ImportError:  # pragma: no cover - CPython always has it
    _json = None  # type: ignore[assignment]

_WS = " \t\n\r"  # JSON's whitespace, as json.decoder's WHITESPACE
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


class _Decoder:
    """The attributes `_json.make_scanner` reads (json.JSONDecoder's defaults)."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int

    @staticmethod
    def parse_constant(name: str) -> float:
        return {"-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan")}[name]


_scan = _json.make_scanner(_Decoder()) if _json is not None else None  # type: ignore[arg-type]


def loads(text: str | bytes | bytearray) -> Any:
    """`json.loads(text)`."""
    if _scan is None or isinstance(text, (bytes, bytearray)) and (
            text[:3] in _BOMS or text[:2] in _BOMS or b"\x00" in text[:4]):
        return _json_module().loads(text)  # another encoding, a BOM: json's own detection
    s = text if isinstance(text, str) else text.decode("utf-8", "surrogatepass")
    start = len(s) - len(s.lstrip(_WS))
    try:
        value, end = _scan(s, start)
    except (StopIteration, SystemError):
        # a document that is not JSON: the C scanner reports it through json.decoder's
        # JSONDecodeError, and on 3.11 it finds that class only when json.decoder is
        # already imported (else a SystemError "returned NULL without setting an
        # exception"); json itself then parses it again and raises its own error
        value, end = None, -1
    if end < 0 or s[end:].strip(_WS):
        return _json_module().loads(s)  # raises json's own error message
    return value


def dumps(value: Any, *, separators: tuple[str, str] | None = None, ensure_ascii: bool = True,
          sort_keys: bool = False, indent: int | None = None) -> str:
    """`json.dumps(value, ...)` for these keywords (`indent` goes to json)."""
    if _json is None or indent is not None:
        return str(_json_module().dumps(value, separators=separators, ensure_ascii=ensure_ascii,
                                        sort_keys=sort_keys, indent=indent))
    quote = _json.encode_basestring_ascii if ensure_ascii else _json.encode_basestring
    if isinstance(value, str):
        return str(quote(value))
    item, key = separators or (", ", ": ")
    # a new encoder per call, as json makes: its markers (the circular-reference check) are
    # left behind by a failed call
    encode = _json.make_encoder({}, _unserializable, quote, None, key, item, sort_keys, False,
                                True)
    return "".join(encode(value, 0))


def _unserializable(value: object) -> object:
    raise TypeError(f"Object of type {value.__class__.__name__} is not JSON serializable")


def _json_module() -> Any:
    import json
    return json
