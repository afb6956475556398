"""owns: parsing a Dockerfile through the store's parsed-Dockerfile entries, so that an unchanged
rebuild neither parses again nor loads the parser (e2b's syntax module imports dataclasses,
inspect, ast: a third of an unchanged rebuild's process): scow's own records
(``build.instructions``) as JSON, their key, their check.

    df = parse(engine, text, "Dockerfile")   # == instructions.parse_dockerfile(text, ...)

The key is the sha256 of everything the parse depends on: the text, the file name (errors and
warnings name it), ``unique_stages``, the entry format, scow's version and the files of the
parser (scow's modules that build the records, e2b's parser and lexer: size, mtime and inode,
so an upgrade or an edit of either parses again). Build args are not in it: the parse keeps
``$VAR`` words as written, substitution happens at dispatch. An entry is::

    scow-parsed-dockerfile <FORMAT>\\n<key>\\n<sha256 of the JSON>\\n<JSON>

A missing, torn, corrupt or foreign entry (another key, format or digest) is ignored: the text
is parsed and the entry written again. A parse that fails is never kept (its error is raised
again each time, with the parser loaded).
"""

from __future__ import annotations

import os

from scow import __version__
from scow.build import e2bparts
from scow.build import instructions as ins
from scow.build.runmount import Mount
from scow.fastjson import dumps, loads
from scow.ids import sha256_hex

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from scow.build.ports import BuildEngine

FORMAT = 1  # bump when a record of build.instructions changes shape
_MAGIC = b"scow-parsed-dockerfile %d\n" % FORMAT
_RECORDS: dict[str, type] = {
    cls.__name__: cls for cls in (
        ins.Heredoc, ins.KeyValue, ins.From, ins.Run, ins.Cmd, ins.Entrypoint, ins.Env,
        ins.Label, ins.Arg, ins.Maintainer, ins.Expose, ins.Copy, ins.Volume, ins.User,
        ins.Workdir, ins.StopSignal, ins.Healthcheck, ins.Shell, ins.Onbuild, ins.Stage,
        ins.Dockerfile, Mount)}
_PARSER_FILES = ("instructions.py", "instruction_parsers.py", "flags.py", "runmount.py",
                 "parsecache.py")  # scow.build's, found next to this module (none imported)


def parse(engine: BuildEngine, text: str, filename: str = "Dockerfile", *,
          unique_stages: bool = True) -> ins.Dockerfile:
    """`instructions.parse_dockerfile(text, filename, unique_stages=...)`, from the store's
    entry when it holds this parse."""
    raw = text.encode("utf-8", errors="surrogatepass")
    key = parse_key(raw, filename, unique_stages)
    found = decode(engine.cached_parse(key), key)
    if found is not None:
        return found
    df = ins.parse_dockerfile(text, filename, unique_stages=unique_stages)
    try:
        entry = encode(df, key)
    except (TypeError, ValueError):  # a record with a value of no entry form: parse next time
        return df
    engine.keep_parse(key, entry)
    return df


def parse_key(raw: bytes, filename: str, unique_stages: bool) -> str:
    """The entry's key: the digest of the text and of what else the parse depends on."""
    head = dumps([FORMAT, __version__, filename, unique_stages, _parser_files()])
    return sha256_hex(head.encode() + b"\n" + raw)


def encode(df: ins.Dockerfile, key: str) -> bytes:
    body = dumps(_plain(df), separators=(",", ":")).encode()
    return b"%s%s\n%s\n%s" % (_MAGIC, key.encode(), sha256_hex(body).encode(), body)


def decode(entry: bytes | None, key: str) -> ins.Dockerfile | None:
    """The Dockerfile an entry holds; None when it is missing, torn or not this key's."""
    if entry is None or not entry.startswith(_MAGIC):
        return None
    parts = entry[len(_MAGIC):].split(b"\n", 2)
    if len(parts) != 3 or parts[0] != key.encode():
        return None
    _, digest, body = parts
    if sha256_hex(body).encode() != digest:
        return None
    try:
        df = _record(loads(body))
    except (ValueError, TypeError, KeyError, RecursionError):
        return None
    return df if isinstance(df, ins.Dockerfile) else None


def _plain(value: object) -> object:
    """JSON's form of a record: ``{"": name, "v": [fields...]}``; tuples as lists."""
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    fields = getattr(type(value), "__dataclass_fields__", None)
    if fields is not None:
        if type(value).__name__ not in _RECORDS:
            raise TypeError(f"no entry form for {type(value).__name__}")
        return {"": type(value).__name__, "v": [_plain(getattr(value, f)) for f in fields]}
    if value is None or isinstance(value, str | int):  # bool is an int
        return value
    raise TypeError(f"no entry form for {type(value).__name__}")


def _record(value: object) -> object:
    if isinstance(value, list):
        return tuple(_record(v) for v in value)
    if isinstance(value, dict):
        cls = _RECORDS[value[""]]
        values = value["v"]
        if not isinstance(values, list) or len(values) != len(cls.__dataclass_fields__):  # type: ignore[attr-defined]
            raise ValueError("record of another shape")
        return cls(*(_record(v) for v in values))
    return value


def _parser_files() -> list[list[int]]:
    """(size, mtime, inode) of each file whose code decides the parse."""
    here = os.path.dirname(__file__)
    paths = [os.path.join(here, name) for name in _PARSER_FILES] + e2bparts.parser_files()
    out: list[list[int]] = []
    for path in paths:
        try:
            st = os.stat(path)
        except (OSError, ValueError):
            out.append([])
            continue
        out.append([st.st_size, st.st_mtime_ns, st.st_ino])
    return out
