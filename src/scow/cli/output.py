"""owns: how commands print: docker's `--format` tables and templates, inspect's JSON, and the
docker CLI's ways of showing IDs, sizes and times. Commands build row objects (with
``__go_fields__``) and hand them here."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping

from scow.cli.context import Context

TYPE_CHECKING = False  # mypy honours the name; typing costs start-up (typeshim.py)
if TYPE_CHECKING:
    from typing import Any

FORMAT_HELP = ("Format output using a custom template:\n'table':            Print output in "
               "table format with column headers (default)\n'table TEMPLATE':   Print output in "
               "table format using the given Go template\n'json':             Print in JSON "
               "format\n'TEMPLATE':         Print output using the given Go template.")


def for_each(ctx: Context, names: list[str], action: Callable[[str], object]) -> int:
    """Apply `action` to each name as docker's multi-name commands do: the name on success,
    `Error: ...` for a failure, and exit code 1 if any failed."""
    import sys

    from scow.errors import ScowError

    status = 0
    for name in names:
        try:
            action(name)
            ctx.out(name)
        except ScowError as exc:
            sys.stderr.write(f"Error: {exc.message}\n")
            status = 1
    return status


def print_pruned(ctx: Context, sections: list[tuple[str, list[str]]], reclaimed: int) -> None:
    """docker's prune report: `Deleted X:` sections, then the reclaimed space."""
    for title, lines in sections:
        if lines:
            ctx.out(title)
            for line in lines:
                ctx.out(line)
            ctx.out()
    ctx.out(f"Total reclaimed space: {size(reclaimed)}")


def short(image_id: str, no_trunc: bool = False) -> str:
    if no_trunc:
        return image_id
    return image_id.split(":", 1)[-1][:12]


def size(n: int) -> str:
    from scow.format.units import human_size

    return human_size(n)


def since(ts: float) -> str:
    from scow.format.units import human_duration

    if ts <= 0:
        return "N/A"
    return human_duration(max(0.0, time.time() - ts)) + " ago"


def created_at(ts: float) -> str:
    """Go's time.Time.String() of a whole-second Unix time, in UTC as docker shows it here."""
    return time.strftime("%Y-%m-%d %H:%M:%S +0000 UTC", time.gmtime(int(ts)))


def print_rows(ctx: Context, fmt: str, rows: Iterable[object], *, default: str,
               headers: Mapping[str, str]) -> None:
    """Print rows with `--format` (a template, `table ...`, `json`) or the default table."""
    rows = list(rows)
    fields = _plain_table(fmt or default)
    if fields is not None and all(f in headers for f in fields) and all(
            isinstance(getattr(r, f, None), str) for r in rows for f in fields):
        _print_plain_table(ctx, fields, rows, headers)
        return
    from scow.format.docker import render_rows

    render_rows(fmt or default, rows, headers=dict(headers), out=ctx.stdout,
                default_table=default)


def _plain_table(fmt: str) -> list[str] | None:
    """The fields of a ``table {{.A}}\\t{{.B}}`` format made only of plain fields; such a
    table needs no template engine (the default tables of ps/images: they stay cheap)."""
    if not fmt.startswith("table "):
        return None
    fields = []
    for cell in fmt[6:].strip(" ").replace("\\t", "\t").split("\t"):
        name = cell[3:-2] if cell.startswith("{{.") and cell.endswith("}}") else ""
        if not name.isidentifier():
            return None
        fields.append(name)
    return fields


def _print_plain_table(ctx: Context, fields: list[str], rows: list[object],
                       headers: Mapping[str, str]) -> None:
    from scow.format.tabwriter import TabWriter, display_width

    writer = TabWriter(ctx.stdout, 10, 1, 3, " ", 0, width=display_width)
    writer.write("\t".join(headers.get(f, f.upper()) for f in fields) + "\n")
    for row in rows:
        writer.write("\t".join(getattr(row, f) for f in fields) + "\n")
    writer.flush()


def print_inspect(ctx: Context, objects: list[dict[str, Any]], fmt: str) -> None:
    """docker inspect: a JSON array indented by 4, or the template once per object."""
    from scow.format.gojson import marshal_indent

    if fmt:  # the template engine only for --format
        from scow.format.docker import render_one

        for obj in objects:
            ctx.stdout.write(render_one(fmt, to_go(obj), raw=obj))
        return
    ctx.stdout.write(marshal_indent([to_go(o) for o in objects], indent="    ") + "\n")


def to_go(value: Any, key: str = "") -> Any:
    """Plain JSON-like data as Go values: dicts are structs (field order) unless the key
    names a Go map (sorted keys, `map[k:v]`)."""
    from scow.engine.images.inspect import GO_MAP_KEYS
    from scow.format.govalue import NIL_MAP, NIL_SLICE, Struct

    if isinstance(value, dict):
        if key in GO_MAP_KEYS:
            return {k: to_go(v) for k, v in value.items()} if value else NIL_MAP
        return Struct({k: to_go(v, k) for k, v in value.items()})
    if isinstance(value, list):
        return [to_go(v) for v in value]
    if value is None and key in GO_MAP_KEYS:
        return NIL_MAP
    if value is None and key in ("Env", "Cmd", "Entrypoint", "OnBuild", "Shell"):
        return NIL_SLICE
    return value
