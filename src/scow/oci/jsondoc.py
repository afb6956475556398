"""owns: the one reader of JSON documents that come from outside (registries, token servers,
image archives, OCI layouts, image configs): a size limit and a nesting limit checked before
the parser runs, and every failure as one `InvalidArgument`-kind line.

Python's `json` recurses once per nesting level: a 200,000-deep `[[[...` ends in
RecursionError (or worse), so the depth is measured first, in C-speed passes (strings removed
by one regular expression, brackets counted with `itertools.accumulate`). Real manifests,
configs and indexes nest fewer than 10 levels; docker's Go decoder stops at 10,000.
"""

from __future__ import annotations

from array import array
from itertools import accumulate

from scow.errors import InvalidArgument
from scow.fastjson import loads

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import Any

MAX_DOCUMENT_SIZE = 4 * 1024 * 1024  # distribution's limit for manifests
MAX_DEPTH = 100
_KEEP = bytes(range(256)).translate(None, b"[]{}")  # every byte that is not a bracket
_SIGN = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")


class InvalidDocument(InvalidArgument):
    """A JSON document that is not valid, too large or nested too deeply."""


def nesting_depth(data: bytes) -> int:
    """The deepest bracket nesting of `data` outside strings (garbage in: a number anyway)."""
    import re  # here, not at import: `re` costs start-up (see load_document)

    brackets = re.sub(rb'"(?:[^"\\]|\\.)*"', b"", data, flags=re.DOTALL)
    brackets = brackets.translate(_SIGN, _KEEP)
    if not brackets:
        return 0
    return max(accumulate(array("b", brackets)))


def load_document(data: bytes | str, what: str, *, limit: int = MAX_DOCUMENT_SIZE,
                  error: type[InvalidArgument] = InvalidDocument) -> Any:
    """`data` parsed as JSON; `what` names it in the error (e.g. `load image: manifest.json`).

    Raises `error` (an InvalidArgument kind) with one line: too large, nested too deeply,
    or not valid JSON."""
    raw = data.encode() if isinstance(data, str) else data
    if len(raw) > limit:
        raise error(f"{what}: {len(raw)} bytes exceeds the {limit} byte limit")
    # no deeper than its count of opening brackets: most configs have fewer than MAX_DEPTH,
    # and need no measure (nor `re`, ~3 ms of a cold `scow images`)
    if raw.count(b"[") + raw.count(b"{") > MAX_DEPTH and nesting_depth(raw) > MAX_DEPTH:
        raise error(f"{what}: nested too deeply (over {MAX_DEPTH} levels)")
    try:
        return loads(raw)
    except (ValueError, RecursionError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise error(f"{what}: not valid JSON: {reason}") from exc
